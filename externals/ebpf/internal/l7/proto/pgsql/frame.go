package pgsql

import "encoding/binary"

// maxMsg bounds a message length we believe (PostgreSQL's own limit for
// most messages is 1 GB).
const maxMsg = 1 << 30

// framer walks one direction's messages: a type byte and a length
// (Int32, itself included), or, during startup on the frontend, only the
// length. Bodies are skipped by byte count (the event's TotalLen), so a
// large DataRow or COPY costs nothing while headers are captured.
type framer struct {
	untyped bool   // startup: the next frontend message has no type byte
	skip    uint64 // body bytes still to skip
	carry   []byte // an incomplete header at the end of a whole event
	buf     []byte
}

func (f *framer) reset() { f.skip, f.carry, f.untyped = 0, f.carry[:0], false }

// push frames one event whose payload is what was captured of total
// bytes: msg is called with each message that starts in it, with the
// part of its body that was captured and its wire size. false: the
// bytes cannot be framed (a header the capture cut, a length out of
// bounds).
func (f *framer) push(payload []byte, total uint64, msg func(typ byte, body []byte, size uint64)) bool {
	b := payload
	if len(f.carry) > 0 {
		f.buf = append(append(f.buf[:0], f.carry...), payload...)
		total += uint64(len(f.carry))
		b, f.carry = f.buf, f.carry[:0]
	}
	captured := uint64(len(b))
	for pos := uint64(0); pos < total; {
		if f.skip > 0 {
			n := min(f.skip, total-pos)
			pos, f.skip = pos+n, f.skip-n
			continue
		}
		hdr := uint64(5)
		if f.untyped {
			hdr = 4
		}
		if captured < pos+hdr {
			if captured == total && captured-pos < hdr {
				f.carry = append(f.carry[:0], b[pos:]...)
				return true
			}
			return false
		}
		var typ byte
		if !f.untyped {
			typ = b[pos]
		}
		l := uint64(binary.BigEndian.Uint32(b[pos+hdr-4:]))
		if l < 4 || l > maxMsg {
			return false
		}
		start := pos + hdr
		body := b[start:min(captured, start+l-4)]
		pos, f.skip = start, l-4
		msg(typ, body, hdr-4+l)
	}
	return true
}

func (f *framer) held() int { return len(f.carry) }
