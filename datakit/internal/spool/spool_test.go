package spool

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func rec(i int) []byte { return []byte(fmt.Sprintf("record-%06d", i)) }

func open(t *testing.T, dir string, opt Options) *Queue {
	t.Helper()
	q, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// drain reads and acknowledges everything, returning the records in order.
func drain(t *testing.T, q *Queue, maxBytes int) []string {
	t.Helper()
	var got []string
	for {
		rs, err := q.Read(maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			return got
		}
		for _, r := range rs {
			got = append(got, string(r.Data))
		}
		if err := q.Ack(rs[len(rs)-1].End); err != nil {
			t.Fatal(err)
		}
	}
}

func wantRange(t *testing.T, got []string, from, to int) {
	t.Helper()
	if len(got) != to-from {
		t.Fatalf("got %d records, want %d (%d..%d)", len(got), to-from, from, to-1)
	}
	for i, g := range got {
		if g != string(rec(from+i)) {
			t.Fatalf("record %d = %q, want %q", i, g, rec(from+i))
		}
	}
}

func appendN(t *testing.T, q *Queue, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		r := rec(i)
		parts := [][]byte{r}
		if i%2 == 1 { // a record given in parts reads back whole
			parts = [][]byte{r[:3], nil, r[3:]}
		}
		if err := q.Append(parts...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOrderAcrossSegmentsAndReplay(t *testing.T) {
	dir := t.TempDir()
	opt := Options{MaxBytes: 1 << 20, SegmentBytes: 1000, SyncInterval: 10e6}
	q := open(t, dir, opt)
	appendN(t, q, 0, 1000)
	if st := q.Stats(); st.PendingRecords != 1000 || st.Segments < 10 {
		t.Fatalf("stats after 1000 appends: %+v", st)
	}
	// Consume 300 records, acknowledge only the first 250.
	var got []string
	var ackAt Pos
	for len(got) < 300 {
		rs, err := q.Read(100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got = append(got, string(r.Data))
			if len(got) == 250 {
				ackAt = r.End
			}
		}
		if len(got) < 250 {
			q.Ack(rs[len(rs)-1].End)
		}
	}
	q.Ack(ackAt)
	wantRange(t, got[:250], 0, 250)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = open(t, dir, opt)
	if st := q.Stats(); st.PendingRecords != 750 {
		t.Fatalf("after reopen pending = %d, want 750", st.PendingRecords)
	}
	appendN(t, q, 1000, 1100)
	wantRange(t, drain(t, q, 333), 250, 1100)
	if st := q.Stats(); st.PendingRecords != 0 || st.PendingBytes != 0 || st.Segments != 1 {
		t.Fatalf("drained queue stats: %+v", st)
	}
}

func TestConcurrentAppendsWithGroupCommit(t *testing.T) {
	q := open(t, t.TempDir(), Options{MaxBytes: 1 << 20, SegmentBytes: 4096})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if err := q.Append(rec(w*1000 + i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got := drain(t, q, 1<<20)
	if len(got) != 400 {
		t.Fatalf("got %d records, want 400", len(got))
	}
	last := map[byte]string{}
	for _, g := range got { // each writer's records stay in its order
		w := g[len(g)-4]
		if g <= last[w] {
			t.Fatalf("out of order: %q after %q", g, last[w])
		}
		last[w] = g
	}
}

// TestConsumerRacesAppendsAndDrops: the consumer reads without the lock
// while appends rotate and the size bound drops segments. Every record is
// read in order or counted as dropped (a record read just before its
// segment is dropped may be both).
func TestConsumerRacesAppendsAndDrops(t *testing.T) {
	frame := int64(headerSize + len(rec(0)))
	var mu sync.Mutex
	seen := map[string]bool{}
	opt := Options{MaxBytes: 40 * frame, SegmentBytes: 8 * frame, SyncInterval: 1e9,
		OnDrop: func(r []byte) { mu.Lock(); seen[string(r)] = true; mu.Unlock() }}
	q := open(t, t.TempDir(), opt)
	const total = 3000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < total; i++ {
			if err := q.Append(rec(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	last, finished := "", false
	for !finished {
		select {
		case <-done:
			finished = true
		default:
		}
		for {
			rs, err := q.Read(int(5 * frame))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			for _, r := range rs {
				if string(r.Data) <= last {
					t.Fatalf("read %q after %q", r.Data, last)
				}
				last = string(r.Data)
				mu.Lock()
				seen[last] = true
				mu.Unlock()
			}
			if err := q.Ack(rs[len(rs)-1].End); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Microsecond) // slower than the appends
		}
	}
	if st := q.Stats(); st.DroppedRecords == 0 || last == "" {
		t.Fatalf("the test needs both reads and drops: read up to %q, dropped %d", last, st.DroppedRecords)
	}
	for i := 0; i < total; i++ {
		if !seen[string(rec(i))] {
			t.Fatalf("record %d neither read nor counted as dropped", i)
		}
	}
}

func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

func lastSegment(t *testing.T, dir string) string {
	seqs, err := listSegments(dir)
	if err != nil || len(seqs) == 0 {
		t.Fatalf("segments: %v %v", seqs, err)
	}
	return filepath.Join(dir, segName(seqs[len(seqs)-1]))
}

func TestTornAndCorruptTailsAreCutAndLogged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		damage  func(path string)
		keep    int // records that survive
		cutSize int64
	}{
		{"torn payload", func(p string) { // a crash in the middle of write(2)
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.Write(appendFrame(nil, []byte("half-written record"))[:15])
			f.Close()
		}, 10, 15},
		{"torn header", func(p string) {
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.Write([]byte{1, 2, 3})
			f.Close()
		}, 10, 3},
		{"checksum", func(p string) { // flip a byte inside record 7's payload
			b, _ := os.ReadFile(p)
			b[7*(headerSize+len(rec(0)))+headerSize+3] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}, 7, 3 * int64(headerSize+len(rec(0)))},
		{"huge length", func(p string) {
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 'x'})
			f.Close()
		}, 10, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, Options{SyncInterval: 1e9})
			appendN(t, q, 0, 10)
			q.Close()
			tc.damage(lastSegment(t, dir))
			var log bytes.Buffer
			q = open(t, dir, Options{Log: logTo(&log)})
			if !strings.Contains(log.String(), "torn or corrupt data skipped") {
				t.Fatalf("no log of the cut; log:\n%s", log.String())
			}
			if st := q.Stats(); st.CorruptBytes != tc.cutSize {
				t.Fatalf("CorruptBytes = %d, want %d", st.CorruptBytes, tc.cutSize)
			}
			appendN(t, q, 100, 103) // appends continue on a clean boundary
			got := drain(t, q, 1<<20)
			wantRange(t, got[:tc.keep], 0, tc.keep)
			wantRange(t, got[tc.keep:], 100, 103)
		})
	}
}

func TestUnreadableCursorReplaysEverything(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{})
	appendN(t, q, 0, 20)
	rs, _ := q.Read(50)
	q.Ack(rs[len(rs)-1].End)
	q.Close()
	os.WriteFile(filepath.Join(dir, cursorName), []byte("garbage garbage garbage"), 0o644)
	var log bytes.Buffer
	q = open(t, dir, Options{Log: logTo(&log)})
	wantRange(t, drain(t, q, 1<<20), 0, 20) // at-least-once: redelivered, not lost
	if !strings.Contains(log.String(), "cursor missing or unreadable") {
		t.Fatalf("no log; got:\n%s", log.String())
	}
}

func TestSizeBoundDropsOldestAndCounts(t *testing.T) {
	dir := t.TempDir()
	frame := int64(headerSize + len(rec(0)))
	var dropped []string
	opt := Options{MaxBytes: 40 * frame, SegmentBytes: 10 * frame, SyncInterval: 1e9,
		OnDrop: func(r []byte) { dropped = append(dropped, string(r)) }}
	q := open(t, dir, opt)
	appendN(t, q, 0, 95)
	before := q.Stats().DroppedRecords
	// Read (but do not acknowledge) the oldest records, as a worker stuck on a
	// down output would; then more appends push them out.
	rs, _ := q.Read(int(3 * frame))
	appendN(t, q, 95, 110)
	st := q.Stats()
	if st.DroppedRecords < before+10 || st.DroppedRecords+st.PendingRecords != 110 {
		t.Fatalf("dropped %d (before the reads %d), pending %d, of 110", st.DroppedRecords, before, st.PendingRecords)
	}
	n := int(st.DroppedRecords)
	if st.DroppedBytes != int64(n)*frame || len(dropped) != n {
		t.Fatalf("dropped %d bytes, %d callbacks; want %d records", st.DroppedBytes, len(dropped), n)
	}
	wantRange(t, dropped, 0, n)
	if !q.Dropped(rs[len(rs)-1].End) {
		t.Fatal("Dropped() = false for records pushed out by the bound")
	}
	q.Ack(rs[len(rs)-1].End) // stale: ignored
	if st.PendingBytes > opt.MaxBytes {
		t.Fatalf("pending %d bytes over the %d bound", st.PendingBytes, opt.MaxBytes)
	}
	wantRange(t, drain(t, q, 1<<20), n, 110)
	if err := open(t, t.TempDir(), opt).Append(make([]byte, 41*frame)); err == nil {
		t.Fatal("a record larger than the bound was accepted")
	}
}
