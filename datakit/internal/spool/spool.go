// Package spool is a disk-backed FIFO queue of opaque records: the buffer in
// front of every output. Records are appended to segment files, read back in
// order by a single consumer and deleted once acknowledged. The total size on
// disk is bounded; past the bound the oldest segment is dropped and counted.
//
// Durability: Append returns after write(2), so a record survives a crash of
// the process. The head segment is fsynced every Options.SyncInterval (group
// commit) and on rotation and Close; with SyncInterval 0 every Append waits for
// an fsync that covers it (concurrent appends share one fsync). After a power
// loss at most the last SyncInterval of appends can be missing. A torn or
// corrupt tail found on Open is logged, counted and cut off.
package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Options tune a Queue. Zero values get the defaults noted.
type Options struct {
	MaxBytes     int64         // bound on the total size on disk; default 1 GiB
	SegmentBytes int64         // target size of one segment; default min(64 MiB, MaxBytes/8)
	SyncInterval time.Duration // fsync period of the head; 0: every Append waits for an fsync
	Log          *slog.Logger
	// OnDrop is called, with the queue locked, for every unacknowledged record
	// the size bound throws away, so the caller can count what it lost.
	OnDrop func(rec []byte)
}

// Record is one queued record and the position just after it (pass it to
// Ack). Data is the caller's: the queue never reuses it.
type Record struct {
	Data []byte
	End  Pos
}

// Stats describe a queue at one moment.
type Stats struct {
	PendingBytes   int64 // bytes (with framing) not yet acknowledged
	PendingRecords int64
	Segments       int
	DroppedRecords int64 // thrown away by the size bound since Open
	DroppedBytes   int64
	CorruptBytes   int64 // cut off as torn or corrupt on Open
}

var (
	ErrClosed   = errors.New("spool: queue is closed")
	ErrTooLarge = errors.New("spool: record larger than the queue's size bound")
)

// Queue is safe for many appenders and one consumer (Read/Ack).
type Queue struct {
	dir  string
	opt  Options
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	segs    []*segment // oldest first; the last one is the head
	head    *os.File   // the head segment, open for writing (and reading)
	reader  *os.File   // the oldest segment when it is not the head
	total   int64      // bytes of all segments
	cur     Pos        // oldest unacknowledged record
	cursor  *cursorFile
	gen     uint64 // appends so far, for group commit
	closed  bool
	dropped Stats // only the Dropped*/Corrupt* fields are used
	ready   chan struct{}

	syncMu sync.Mutex
	synced uint64 // gen covered by the last fsync

	// The consumer's own handle on the segment it reads (see Read). rdMu
	// is taken before mu, never while holding it.
	rdMu  sync.Mutex
	rd    *os.File
	rdSeq uint64
}

// Open opens or creates the queue in dir and replays what is there.
func Open(dir string, opt Options) (*Queue, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 1 << 30
	}
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = min(64<<20, opt.MaxBytes/8)
	}
	opt.SegmentBytes = max(min(opt.SegmentBytes, opt.MaxBytes/4), 1)
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	q := &Queue{dir: dir, opt: opt, log: opt.Log.With("spool", dir), ready: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := q.load(); err != nil {
		q.closeFiles()
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	if q.opt.SyncInterval > 0 {
		go q.syncLoop()
	} else {
		close(q.done)
	}
	return q, nil
}

// load scans the segments, cuts off torn tails and positions the cursor.
func (q *Queue) load() error {
	var err error
	if q.cursor, err = openCursor(q.dir); err != nil {
		return err
	}
	saved, ok := q.cursor.load()
	seqs, err := listSegments(q.dir)
	if err != nil {
		return err
	}
	if !ok && len(seqs) > 0 {
		q.log.Warn("spool cursor missing or unreadable; replaying from the oldest segment")
	}
	found := false
	for _, seq := range seqs {
		path := q.segPath(seq)
		if ok && seq < saved.Seg { // acknowledged before the last stop
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0o644)
		if err != nil {
			return err
		}
		want := int64(-1)
		if ok && seq == saved.Seg {
			want = saved.Off
		}
		valid, count, idx, boundary, corrupt, err := scanSegment(f, want)
		if err == nil && corrupt != nil {
			st, _ := f.Stat()
			cut := st.Size() - valid
			q.log.Warn("spool: torn or corrupt data skipped", "file", path, "cut_bytes", cut, "reason", corrupt.Error())
			q.dropped.CorruptBytes += cut
			err = f.Truncate(valid)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
		if want >= 0 {
			found = true
			q.cur = Pos{Seg: seq, Off: saved.Off, Idx: idx}
			if !boundary {
				q.log.Warn("spool cursor is not on a record boundary; replaying its segment from the start", "file", path, "offset", saved.Off)
				q.cur = Pos{Seg: seq}
			}
		}
		f.Close()
		q.segs = append(q.segs, &segment{seq: seq, size: valid, count: count})
		q.total += valid
	}
	if len(q.segs) == 0 {
		if err := q.createHead(max(saved.Seg, 1)); err != nil {
			return err
		}
	} else if q.head, err = os.OpenFile(q.segPath(q.segs[len(q.segs)-1].seq), os.O_RDWR, 0o644); err != nil {
		return err
	}
	if !found {
		q.cur = Pos{Seg: q.segs[0].seq}
	}
	q.advance()
	return q.cursor.store(q.cur)
}

// createHead starts a new, empty head segment.
func (q *Queue) createHead(seq uint64) error {
	f, err := os.OpenFile(q.segPath(seq), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := syncDir(q.dir); err != nil {
		f.Close()
		return err
	}
	q.head = f
	q.segs = append(q.segs, &segment{seq: seq})
	return nil
}

// Append adds one record, the concatenation of parts, at the tail of the
// queue. It returns once the record is written to the segment file (and
// fsynced when SyncInterval is 0).
func (q *Queue) Append(parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	frame := int64(headerSize + n)
	if frame > q.opt.MaxBytes || n > MaxRecord {
		return fmt.Errorf("%w: %d bytes, bound %d", ErrTooLarge, frame, q.opt.MaxBytes)
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	head := q.segs[len(q.segs)-1]
	if head.size > 0 && head.size+frame > q.opt.SegmentBytes {
		if err := q.rotate(); err != nil {
			q.mu.Unlock()
			return err
		}
		head = q.segs[len(q.segs)-1]
	}
	for q.total+frame > q.opt.MaxBytes && len(q.segs) > 1 {
		if err := q.dropOldest(); err != nil {
			q.mu.Unlock()
			return err
		}
	}
	if err := writeFrame(q.head, head.size, parts); err != nil {
		// Cut a partial write off so the next record starts on a boundary.
		_ = q.head.Truncate(head.size)
		q.mu.Unlock()
		return fmt.Errorf("spool append: %w", err)
	}
	head.size += frame
	head.count++
	q.total += frame
	q.gen++
	gen := q.gen
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	if q.opt.SyncInterval == 0 {
		return q.syncUpTo(gen)
	}
	return nil
}

// rotate fsyncs the head and starts the next segment.
func (q *Queue) rotate() error {
	old, oldFile := q.segs[len(q.segs)-1], q.head
	if err := oldFile.Sync(); err != nil {
		return fmt.Errorf("spool fsync: %w", err)
	}
	if err := q.createHead(old.seq + 1); err != nil {
		return err
	}
	oldFile.Close() // the consumer reads through its own handle
	return q.cursor.f.Sync()
}

// Read returns the oldest unacknowledged records, in order, about maxBytes
// of them (at least one if the queue is not empty). It does not remove them:
// Ack does. It reads the file without holding the lock Append needs: the
// bytes below a segment's size never change, and the consumer reads
// through a handle of its own, which keeps a segment dropped meanwhile
// readable (Ack then ignores it).
func (q *Queue) Read(maxBytes int) ([]Record, error) {
	q.rdMu.Lock()
	defer q.rdMu.Unlock()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, ErrClosed
	}
	q.advance()
	s, pos := *q.segs[0], q.cur
	if q.rd == nil || q.rdSeq != s.seq {
		// Opened under the lock, while the segment surely exists.
		f, err := os.Open(q.segPath(s.seq))
		if err != nil {
			q.mu.Unlock()
			return nil, err
		}
		if q.rd != nil {
			q.rd.Close()
		}
		q.rd, q.rdSeq = f, s.seq
	}
	q.mu.Unlock()

	var out []Record
	total := 0
	for pos.Off < s.size && (len(out) == 0 || total < maxBytes) {
		data, next, err := readRecord(q.rd, pos.Off, s.size)
		if err != nil {
			return out, fmt.Errorf("spool read %s: %w", q.segPath(s.seq), err)
		}
		pos = Pos{Seg: s.seq, Off: next, Idx: pos.Idx + 1}
		out = append(out, Record{Data: data, End: pos})
		total += len(data)
	}
	return out, nil
}

// Ack acknowledges every record up to end (a Record.End from Read).
// Positions already passed, e.g. because the size bound dropped them, are ignored.
func (q *Queue) Ack(end Pos) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if end.Seg != q.cur.Seg || end.Off <= q.cur.Off {
		return nil
	}
	q.cur = end
	q.advance()
	return q.cursor.store(q.cur)
}

// Dropped reports whether the records ending at end were thrown away by the
// size bound after they were read (the consumer stops retrying them).
func (q *Queue) Dropped(end Pos) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return end.Seg < q.cur.Seg
}

// Ready is signalled after an Append; the consumer waits on it when empty.
func (q *Queue) Ready() <-chan struct{} { return q.ready }

// Stats returns the queue's current figures.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.dropped
	st.Segments = len(q.segs)
	st.PendingBytes = q.total - q.cur.Off
	for _, s := range q.segs {
		st.PendingRecords += s.count
	}
	st.PendingRecords -= q.cur.Idx
	return st
}

// Close fsyncs the head and the cursor and closes the files. What was not
// acknowledged is read again by the next Open.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	close(q.stop)
	<-q.done
	q.mu.Lock()
	err := errors.Join(q.head.Sync(), q.cursor.store(q.cur), q.cursor.f.Sync())
	q.closeFiles()
	q.mu.Unlock()
	q.rdMu.Lock() // after a Read in progress; later ones see closed
	if q.rd != nil {
		q.rd.Close()
		q.rd = nil
	}
	q.rdMu.Unlock()
	return err
}

func (q *Queue) closeFiles() {
	for _, f := range []*os.File{q.head, q.reader} {
		if f != nil {
			f.Close()
		}
	}
	if q.cursor != nil {
		q.cursor.f.Close()
	}
}
