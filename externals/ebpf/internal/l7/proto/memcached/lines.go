package memcached

import "bytes"

// maxLine bounds a line carried from one event to the next.
const maxLine = 512

// lines walks one direction: text lines, and data blocks skipped by byte
// count (the event's TotalLen) once a line announced them.
type lines struct {
	skip  uint64
	carry []byte
	buf   []byte
}

func (l *lines) reset() { l.skip, l.carry = 0, l.carry[:0] }

// push frames one event: line is called with each whole line (without
// CRLF) and returns the size of the data block that follows it (0: none).
// false: a line the capture cut.
func (l *lines) push(payload []byte, total uint64, line func(b []byte, size uint64) uint64) bool {
	b := payload
	if len(l.carry) > 0 {
		l.buf = append(append(l.buf[:0], l.carry...), payload...)
		total += uint64(len(l.carry))
		b, l.carry = l.buf, l.carry[:0]
	}
	captured := uint64(len(b))
	for pos := uint64(0); pos < total; {
		if l.skip > 0 {
			n := min(l.skip, total-pos)
			pos, l.skip = pos+n, l.skip-n
			continue
		}
		if pos >= captured {
			return false
		}
		i := bytes.Index(b[pos:], []byte("\r\n"))
		if i < 0 {
			if captured != total || captured-pos > maxLine {
				return false
			}
			l.carry = append(l.carry[:0], b[pos:]...)
			return true
		}
		end := pos + uint64(i)
		if data := line(b[pos:end], uint64(i)+2); data > 0 {
			l.skip = data + 2
		}
		pos = end + 2
	}
	return true
}

func (l *lines) held() int { return len(l.carry) }
