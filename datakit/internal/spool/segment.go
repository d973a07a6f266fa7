package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A segment file is a sequence of records, each framed as
//
//	uint32 payload length (little endian) | uint32 CRC-32C of the payload | payload
//
// so a torn or corrupt tail is detected on open by a length that runs past
// the end of the file or a checksum that does not match.
const (
	headerSize = 8
	segSuffix  = ".seg"
	// MaxRecord bounds one record so a corrupt length cannot make us allocate
	// gigabytes while scanning.
	MaxRecord = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segment is one file of the queue as known in memory.
type segment struct {
	seq   uint64
	size  int64 // bytes of valid records
	count int64 // number of valid records
}

func segName(seq uint64) string { return fmt.Sprintf("%020d%s", seq, segSuffix) }

func (q *Queue) segPath(seq uint64) string { return filepath.Join(q.dir, segName(seq)) }

// listSegments returns the sequence numbers of the segment files in dir, oldest first.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue // not ours
		}
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// frameHeader is the header of the record made of parts.
func frameHeader(parts [][]byte) [headerSize]byte {
	var h [headerSize]byte
	var crc uint32
	n := 0
	for _, p := range parts {
		crc = crc32.Update(crc, castagnoli, p)
		n += len(p)
	}
	binary.LittleEndian.PutUint32(h[0:4], uint32(n))
	binary.LittleEndian.PutUint32(h[4:8], crc)
	return h
}

// appendFrame appends the framed record to buf.
func appendFrame(buf, payload []byte) []byte {
	h := frameHeader([][]byte{payload})
	return append(append(buf, h[:]...), payload...)
}

// writeFrame writes the record made of parts, framed, at off with
// pwritev: the parts (batches of up to megabytes on the ingest path) are
// not copied together first.
func writeFrame(f *os.File, off int64, parts [][]byte) error {
	h := frameHeader(parts)
	iovs := append([][]byte{h[:]}, parts...)
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for len(iovs) > 0 && werr == nil {
			n, err := unix.Pwritev(int(fd), iovs, off)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil:
				werr = os.NewSyscallError("pwritev", err)
			case n == 0:
				werr = io.ErrShortWrite
			}
			off += int64(n)
			for n > 0 { // skip what was written
				k := min(n, len(iovs[0]))
				iovs[0], n = iovs[0][k:], n-k
				if len(iovs[0]) == 0 {
					iovs = iovs[1:]
				}
			}
		}
		return true
	})
	return errors.Join(err, werr)
}

// errCorrupt describes why a record could not be read.
type errCorrupt struct {
	off    int64
	reason string
}

func (e *errCorrupt) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.reason) }

// readRecord reads the record at off in r (of total size size). It returns
// the payload and the offset of the next record.
func readRecord(r io.ReaderAt, off, size int64) ([]byte, int64, error) {
	if size-off < headerSize {
		return nil, off, &errCorrupt{off, fmt.Sprintf("torn record header (%d of %d bytes)", size-off, headerSize)}
	}
	var h [headerSize]byte
	if _, err := r.ReadAt(h[:], off); err != nil {
		return nil, off, err
	}
	n := int64(binary.LittleEndian.Uint32(h[0:4]))
	if n > MaxRecord {
		return nil, off, &errCorrupt{off, fmt.Sprintf("record length %d exceeds the %d limit", n, MaxRecord)}
	}
	if off+headerSize+n > size {
		return nil, off, &errCorrupt{off, fmt.Sprintf("torn record: length %d runs past the end of the file (%d bytes left)", n, size-off-headerSize)}
	}
	payload := make([]byte, n)
	if _, err := r.ReadAt(payload, off+headerSize); err != nil {
		return nil, off, err
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
		return nil, off, &errCorrupt{off, "checksum mismatch"}
	}
	return payload, off + headerSize + n, nil
}

// scanSegment validates every record of the file and returns the length of
// the valid prefix, the number of records in it, and the corruption that
// ended it, if any. boundary reports whether want (an offset) falls on a
// record boundary inside the valid prefix.
func scanSegment(f *os.File, want int64) (valid, count int64, wantIdx int64, boundary bool, corrupt error, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, false, nil, err
	}
	size := st.Size()
	var off int64
	for off < size {
		if off == want {
			wantIdx, boundary = count, true
		}
		_, next, rerr := readRecord(f, off, size)
		var c *errCorrupt
		if errors.As(rerr, &c) {
			return off, count, wantIdx, boundary, rerr, nil
		}
		if rerr != nil {
			return 0, 0, 0, false, nil, rerr
		}
		off = next
		count++
	}
	if off == want {
		wantIdx, boundary = count, true
	}
	return off, count, wantIdx, boundary, nil, nil
}
