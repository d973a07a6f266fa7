// Package httpparse reads HTTP/1.x request and response heads from captured
// payload prefixes without allocating: results point into the input, methods
// and versions are constant strings. It knows the capture may stop anywhere,
// so besides "a complete head" and "not HTTP" it reports "a valid prefix" with
// everything learned so far. Only the headers that frame messages are looked
// at; all other header values (Authorization, Cookie, ...) are skipped over
// and never leave the parser.
package httpparse

// Status is the outcome of parsing a head.
type Status uint8

const (
	// Invalid: the bytes cannot be the start of an HTTP/1.x head.
	Invalid Status = iota
	// Partial: the bytes are a valid head prefix; the head continues past
	// the end of the input.
	Partial
	// Complete: the whole head, through its empty line, is in the input.
	Complete
)

func (s Status) String() string {
	switch s {
	case Partial:
		return "partial"
	case Complete:
		return "complete"
	}
	return "invalid"
}

// Framing is what the head says about the message body.
type Framing struct {
	// HeadLen is the length of the head including its final empty line;
	// 0 unless the status is Complete.
	HeadLen int
	// ContentLength is the Content-Length header, -1 when absent.
	ContentLength int64
	// Chunked is true for Transfer-Encoding: chunked.
	Chunked bool
	// Close is true for Connection: close.
	Close bool
}

// Versions, as the http_version field reports them.
const (
	Version10 = "1.0"
	Version11 = "1.1"
)

// parseVersion reads "HTTP/1.0" or "HTTP/1.1" at the start of b. It returns
// the version and Complete, or Partial when b is a proper prefix of one.
func parseVersion(b []byte) (string, Status) {
	const proto = "HTTP/1."
	n := min(len(b), len(proto))
	for i := 0; i < n; i++ {
		if b[i] != proto[i] {
			return "", Invalid
		}
	}
	if len(b) <= len(proto) {
		return "", Partial
	}
	switch b[len(proto)] {
	case '0':
		return Version10, Complete
	case '1':
		return Version11, Complete
	}
	return "", Invalid
}

// lineEnd checks that b starts with the end of a line (CRLF, or a bare LF
// as lenient servers accept) and returns its length.
func lineEnd(b []byte) (int, Status) {
	switch {
	case len(b) == 0:
		return 0, Partial
	case b[0] == '\n':
		return 1, Complete
	case b[0] != '\r':
		return 0, Invalid
	case len(b) == 1:
		return 0, Partial
	case b[1] == '\n':
		return 2, Complete
	}
	return 0, Invalid
}

// skipEmptyLines returns the length of the empty lines (CRLF or bare LF)
// at the start of b, which precede a message when a client ends a body
// with an extra CRLF (RFC 9112 section 2.2); Partial when b holds nothing
// else yet.
func skipEmptyLines(b []byte) (int, Status) {
	off := 0
	for off < len(b) && (b[off] == '\r' || b[off] == '\n') {
		n, st := lineEnd(b[off:])
		if st != Complete {
			return off, st
		}
		off += n
	}
	if off == len(b) {
		return off, Partial
	}
	return off, Complete
}

// parseHeaders reads header lines from b[off:] through the empty line that
// ends the head, filling f.
func parseHeaders(b []byte, off int, f *Framing) Status {
	for {
		nl := indexByte(b[off:], '\n')
		if nl < 0 {
			return Partial
		}
		line := b[off : off+nl]
		off += nl + 1
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			f.HeadLen = off
			return Complete
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // obsolete line folding: a continuation of a value
		}
		colon := indexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return Invalid
		}
		if !f.header(line[:colon], trimSpace(line[colon+1:])) {
			return Invalid
		}
	}
}

// header records one framing header; false means a malformed value.
func (f *Framing) header(name, value []byte) bool {
	switch {
	case equalFold(name, "content-length"):
		n, ok := parseUint(value)
		if !ok {
			return false
		}
		f.ContentLength = n
	case equalFold(name, "transfer-encoding"):
		f.Chunked = containsFold(value, "chunked")
	case equalFold(name, "connection"):
		f.Close = containsFold(value, "close")
	}
	return true
}
