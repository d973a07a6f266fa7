package mysql

// framer walks one direction's packets: a 3-byte little-endian length
// and a sequence id, then the payload. Payloads are skipped by byte count
// (the event's TotalLen), so a large row costs nothing while headers are
// captured.
type framer struct {
	skip  uint64 // payload bytes still to skip
	carry []byte // an incomplete header at the end of a whole event
	buf   []byte
}

func (f *framer) reset() { f.skip, f.carry = 0, f.carry[:0] }

func (f *framer) held() int { return len(f.carry) }

// push frames one event whose payload is what was captured of total
// bytes: pkt is called with each packet that starts in it, with its
// sequence id, the captured part of its payload, its payload length and
// its wire size. false: a header the capture cut.
func (f *framer) push(payload []byte, total uint64, pkt func(seq byte, body []byte, n, size uint64)) bool {
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
		if captured < pos+4 {
			if captured == total {
				f.carry = append(f.carry[:0], b[pos:]...)
				return true
			}
			return false
		}
		n := uint64(b[pos]) | uint64(b[pos+1])<<8 | uint64(b[pos+2])<<16
		seq := b[pos+3]
		start := pos + 4
		pos, f.skip = start, n
		pkt(seq, b[start:min(captured, start+n)], n, n+4)
	}
	return true
}
