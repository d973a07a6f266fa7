package redis

import "bytes"

// maxDepth bounds the nesting of aggregates a framer follows (RESP3 maps
// of arrays...); a deeper value desynchronizes the direction.
const maxDepth = 16

// maxLine bounds a header line carried from one event to the next.
const maxLine = 128

// maxName bounds a command name or error prefix.
const maxName = 32

// msg is what the framer says of one top-level RESP value.
type msg struct {
	name  []byte // a command's name, or an error reply's prefix (the framer's buffer)
	err   bool   // a simple or blob error reply
	push  bool   // RESP3 push (>) or attribute (|): not a reply of its own
	bytes uint64 // wire bytes of the value
}

// framer walks one direction's RESP stream a value at a time. It reads
// only headers: bulk bodies are skipped by byte count (the event's
// TotalLen), so a value larger than the capture loses no framing as long
// as its headers are captured. It does not allocate once warm.
type framer struct {
	cmd      bool    // the command direction: inline commands, names read
	skip     uint64  // bulk body bytes (and CRLF) still to skip
	stack    []int64 // remaining elements of each open aggregate
	carry    []byte  // an incomplete header line at the end of a whole event
	buf      []byte  // carry + the event's payload
	cur      msg     // the value in progress
	open     bool    // a value is in progress
	wantName bool    // the next bulk string is a command's name
	nameB    [maxName]byte
}

// reset forgets a direction's framing (after a desynchronization).
func (f *framer) reset() {
	f.skip, f.stack, f.carry, f.open, f.wantName = 0, f.stack[:0], f.carry[:0], false, false
}

// Held: the bytes carried to the next event.
func (f *framer) held() int { return len(f.carry) }

// push frames one event, whose payload is what was captured of its total
// bytes. start is called when a value begins in it, done when one ends.
// false: the bytes cannot be framed (the capture cut a header, or they
// are not RESP); the caller resets.
func (f *framer) push(payload []byte, total uint64, start func(), done func(*msg)) bool {
	b := payload
	if len(f.carry) > 0 {
		f.buf = append(append(f.buf[:0], f.carry...), payload...)
		total += uint64(len(f.carry))
		b, f.carry = f.buf, f.carry[:0]
	}
	captured := uint64(len(b))
	var pos, seg uint64 // seg: where the value's bytes in this event began
	complete := func() {
		f.cur.bytes += pos - seg
		seg = pos
		if f.element() {
			f.open = false
			done(&f.cur)
		}
	}
	for pos < total {
		if f.skip > 0 {
			n := min(f.skip, total-pos)
			pos, f.skip = pos+n, f.skip-n
			if f.skip == 0 {
				complete()
			}
			continue
		}
		if pos >= captured {
			return false // a header the capture did not copy
		}
		if !f.open {
			f.open, f.cur, seg = true, msg{}, pos
			start()
		}
		i := bytes.Index(b[pos:], crlf)
		if i < 0 {
			if captured != total || captured-pos > maxLine {
				return false
			}
			f.cur.bytes += pos - seg
			f.carry = append(f.carry[:0], b[pos:]...)
			return true
		}
		line := b[pos : pos+uint64(i)]
		pos += uint64(i) + 2
		leaf, good := f.header(line, b[pos:])
		if !good {
			return false
		}
		if leaf {
			complete()
		}
	}
	if f.open {
		f.cur.bytes += pos - seg
	}
	return true
}

var crlf = []byte("\r\n")

// header reads one header line; body is what was captured after it. leaf:
// the element is complete (not an aggregate or a bulk body to skip).
func (f *framer) header(line, body []byte) (leaf, good bool) {
	top := len(f.stack) == 0
	wantName := f.wantName
	f.wantName = false
	if len(line) == 0 {
		return false, false
	}
	switch line[0] {
	case '*', '%', '~', '>', '|': // array, map, set, push, attribute
		n, ok := length(line[1:])
		if !ok {
			return false, false
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		if top {
			f.cur.push = line[0] == '>' || line[0] == '|'
			f.wantName = f.cmd && line[0] == '*'
		}
		if n <= 0 { // empty or null
			return true, true
		}
		if len(f.stack) >= maxDepth {
			return false, false
		}
		f.stack = append(f.stack, n)
		return false, true
	case '$', '=', '!': // bulk, verbatim, blob error
		n, ok := length(line[1:])
		if !ok {
			return false, false
		}
		if n < 0 {
			return true, true
		}
		if line[0] == '!' && top {
			f.cur.err = true
			f.cur.name = f.word(body[:min(len(body), int(n))])
		}
		if wantName {
			f.cur.name = f.word(body[:min(len(body), int(n))])
			if int(n) > maxName || int(n) > len(body) {
				f.cur.name = other
			}
		}
		f.skip = uint64(n) + 2
		return false, true
	case '+', ':', ',', '#', '_', '(':
		return true, true
	case '-':
		if top {
			f.cur.err, f.cur.name = true, f.word(line[1:])
		}
		return true, true
	}
	if f.cmd && top { // an inline command: "PING", "GET k"
		f.cur.name = f.word(line)
		return true, true
	}
	return false, false
}

var other = []byte("OTHER")

// word returns the first word of b upper-cased in the framer's buffer, or
// OTHER when it is empty, too long or holds other than [A-Za-z0-9_.-].
func (f *framer) word(b []byte) []byte {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 || len(b) > maxName {
		return other
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return other
		}
		f.nameB[i] = c
	}
	return f.nameB[:len(b)]
}

// element finishes one element; true when it finished the top-level value.
func (f *framer) element() bool {
	for len(f.stack) > 0 {
		top := len(f.stack) - 1
		if f.stack[top]--; f.stack[top] > 0 {
			return false
		}
		f.stack = f.stack[:top]
	}
	return true
}

// length parses an aggregate or bulk length: -1 (null) up to 512 MB, as
// redis bounds a bulk (proto-max-bulk-len); elements up to 2^31.
func length(b []byte) (int64, bool) {
	if len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return -1, true
	}
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= 1<<31
}
