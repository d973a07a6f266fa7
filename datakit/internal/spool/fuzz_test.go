package spool

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes as a segment file (what a crash or a bad
// disk can leave behind): Open must cut what does not check out, hand back
// only intact records, and keep working.
func FuzzOpen(f *testing.F) {
	good := appendFrame(appendFrame(nil, []byte("one")), []byte("two"))
	f.Add(good)
	f.Add(good[:len(good)-2])
	f.Add(append(append([]byte{}, good...), 0xff, 0xff, 0xff, 0x7f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		q, err := Open(dir, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		if err := q.Append([]byte("after")); err != nil {
			t.Fatal(err)
		}
		var last string
		for {
			rs, err := q.Read(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			for _, r := range rs {
				last = string(r.Data)
			}
			q.Ack(rs[len(rs)-1].End)
		}
		if last != "after" {
			t.Fatalf("last record %q, want the one appended after Open", last)
		}
	})
}
