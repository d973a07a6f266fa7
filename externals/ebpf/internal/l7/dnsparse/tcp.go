package dnsparse

// MaxKept is how many leading bytes of each DNS-over-TCP message the framer
// keeps: more than the header plus the longest question (12+255+4), and as
// many answers as fit.
const MaxKept = 512

// TCPFramer splits one direction of a DNS-over-TCP stream into messages
// (RFC 1035 4.2.2: a 2-byte big-endian length before each), across events
// and with captures capped below what the syscalls moved. When a length
// prefix falls in bytes that were not captured, the framer cannot know where
// the next message starts; it drops the rest of that event and assumes the
// next event starts a message, which is how clients and servers write.
type TCPFramer struct {
	in    []byte // captured bytes of the current event
	total int    // bytes the current event moved
	off   int    // position in the current event

	prefix  [2]byte
	prefixN int
	left    int // bytes of the current message still to come; 0: reading a prefix
	kept    [MaxKept]byte
	keptN   int
	gap     bool // bytes of the current message were not captured
	dropped int  // events whose tail could not be framed
}

// Push hands the framer one event: the captured payload and the byte count
// the syscall moved. Call Next until it reports false before the next Push.
func (f *TCPFramer) Push(payload []byte, total int) {
	f.in, f.total, f.off = payload, max(total, len(payload)), 0
}

// Next returns the kept prefix of the next message that ended in the current
// event. The slice is valid until the next call.
func (f *TCPFramer) Next() ([]byte, bool) {
	for f.off < f.total {
		if f.left == 0 {
			if f.off >= len(f.in) {
				f.dropped++
				f.Reset()
				f.off = f.total
				break
			}
			f.prefix[f.prefixN] = f.in[f.off]
			f.prefixN++
			f.off++
			if f.prefixN == 2 {
				f.left = int(f.prefix[0])<<8 | int(f.prefix[1])
				f.prefixN, f.keptN, f.gap = 0, 0, false
			}
			continue
		}
		n := min(f.left, f.total-f.off)
		captured := max(0, min(len(f.in), f.off+n)-f.off)
		if !f.gap {
			f.keptN += copy(f.kept[f.keptN:], f.in[f.off:f.off+captured])
		}
		if captured < n {
			f.gap = true
		}
		f.off += n
		f.left -= n
		if f.left == 0 {
			return f.kept[:f.keptN], true
		}
	}
	f.in = nil
	return nil, false
}

// Reset forgets any partial message, as after a loss of sync.
func (f *TCPFramer) Reset() {
	f.prefixN, f.left, f.keptN, f.gap = 0, 0, 0, false
}

// Dropped counts events whose tail could not be framed.
func (f *TCPFramer) Dropped() int { return f.dropped }
