package spool

import "os"

// The size bound: Append drops the oldest segments, counting the records
// nobody acknowledged, and acknowledged segments are deleted as the
// cursor passes them.

// dropOldest throws the oldest segment away, counting its unread records.
func (q *Queue) dropOldest() error {
	s := q.segs[0]
	if s.seq == q.cur.Seg {
		f, err := q.readerFor(s)
		if err != nil {
			return err
		}
		n, b := s.count-q.cur.Idx, s.size-q.cur.Off
		for off := q.cur.Off; off < s.size; {
			rec, next, err := readRecord(f, off, s.size)
			if err != nil {
				break // counted anyway; the file is going away
			}
			if q.opt.OnDrop != nil {
				q.opt.OnDrop(rec)
			}
			off = next
		}
		q.dropped.DroppedRecords += n
		q.dropped.DroppedBytes += b
		q.log.Warn("spool full: dropped the oldest records", "records", n, "bytes", b, "bound", q.opt.MaxBytes)
	}
	q.removeOldest()
	return q.cursor.store(q.cur)
}

// removeOldest deletes segs[0] and moves the cursor to the next segment if it was in it.
func (q *Queue) removeOldest() {
	s := q.segs[0]
	if q.reader != nil {
		q.reader.Close()
		q.reader = nil
	}
	if err := os.Remove(q.segPath(s.seq)); err != nil {
		q.log.Error("spool: cannot remove segment", "err", err)
	}
	q.total -= s.size
	q.segs = q.segs[1:]
	if q.cur.Seg <= s.seq {
		q.cur = Pos{Seg: q.segs[0].seq}
	}
}

// advance deletes fully acknowledged segments other than the head.
func (q *Queue) advance() {
	for len(q.segs) > 1 && q.cur.Off >= q.segs[0].size {
		q.removeOldest()
	}
}

// readerFor returns a file to read segment s from, for dropOldest.
func (q *Queue) readerFor(s *segment) (*os.File, error) {
	if s == q.segs[len(q.segs)-1] {
		return q.head, nil
	}
	if q.reader == nil {
		f, err := os.Open(q.segPath(s.seq))
		if err != nil {
			return nil, err
		}
		q.reader = f
	}
	return q.reader, nil
}
