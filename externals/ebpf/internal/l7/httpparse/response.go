package httpparse

// Response is what a response head says.
type Response struct {
	// Version is Version10 or Version11; "" until it is complete.
	Version string
	// StatusCode is the three-digit status; 0 until it is complete.
	StatusCode int
	// LineDone: the whole status line was in the input.
	LineDone bool
	Framing
}

// ParseResponse parses the response head at the start of b into r. Empty
// lines before the status line (after a body that ended with an extra
// CRLF) are skipped and counted in HeadLen.
func ParseResponse(b []byte, r *Response) Status {
	*r = Response{Framing: Framing{ContentLength: -1}}
	start := 0
	if len(b) == 0 || b[0] == '\r' || b[0] == '\n' {
		var st Status
		if start, st = skipEmptyLines(b); st != Complete {
			return st
		}
	}
	version, st := parseVersion(b[start:])
	if st != Complete {
		return st
	}
	off := start + len("HTTP/1.1")
	if len(b) == off {
		return Partial
	}
	if b[off] != ' ' {
		return Invalid
	}
	off++
	// The status code is exactly three digits, then a space or the end of
	// the line: "1000" is not 100 and "200X" is not 200.
	code := 0
	for i := 0; i < 3; i++ {
		if off+i == len(b) {
			return Partial
		}
		c := b[off+i]
		if c < '0' || c > '9' {
			return Invalid
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return Invalid
	}
	off += 3
	if off < len(b) && b[off] != ' ' && b[off] != '\r' && b[off] != '\n' {
		return Invalid
	}
	// The reason phrase is optional and may be anything printable.
	for off < len(b) && b[off] != '\r' && b[off] != '\n' {
		if c := b[off]; c < ' ' && c != '\t' || c == 0x7f {
			return Invalid
		}
		off++
	}
	n, st := lineEnd(b[off:])
	if st != Complete {
		return st
	}
	r.Version, r.StatusCode, r.LineDone = version, code, true
	return parseHeaders(b, off+n, &r.Framing)
}

// BodyAllowed reports whether a response with this status may carry a body
// (RFC 9112 section 6.3; a response to HEAD never does either).
func BodyAllowed(code int) bool {
	return code >= 200 && code != 204 && code != 304
}
