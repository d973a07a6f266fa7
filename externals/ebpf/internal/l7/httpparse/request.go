package httpparse

// Request is what a request head says. Path points into the parsed input.
type Request struct {
	// Method is one of Methods; "" until the method is complete.
	Method string
	// Path is the request target without its query string (origin form; an
	// absolute-form target is reduced to its path). It may be partial.
	Path []byte
	// PathTruncated: the input ended inside the path.
	PathTruncated bool
	// Version is Version10 or Version11; "" until it is complete.
	Version string
	// LineDone: the whole request line was in the input.
	LineDone bool
	Framing
}

// Methods lists the methods the parser accepts (RFC 9110 plus PATCH).
var Methods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

const maxMethodLen = 7

// method returns the constant string for b, or "".
func method(b []byte) string {
	switch string(b) { // the compiler does not allocate for this conversion
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "CONNECT":
		return "CONNECT"
	case "OPTIONS":
		return "OPTIONS"
	case "TRACE":
		return "TRACE"
	case "PATCH":
		return "PATCH"
	}
	return ""
}

// isMethodPrefix reports whether b is a prefix of some method.
func isMethodPrefix(b []byte) bool {
	for _, m := range Methods {
		if len(b) <= len(m) && string(b) == m[:len(b)] {
			return true
		}
	}
	return false
}

// ParseRequest parses the request head at the start of b into r.
func ParseRequest(b []byte, r *Request) Status {
	*r = Request{Framing: Framing{ContentLength: -1}}
	sp := indexByte(b[:min(len(b), maxMethodLen+1)], ' ')
	if sp < 0 {
		if len(b) <= maxMethodLen && (len(b) == 0 || isMethodPrefix(b)) {
			return Partial
		}
		return Invalid
	}
	if r.Method = method(b[:sp]); r.Method == "" {
		return Invalid
	}
	off := sp + 1
	target, end := b[off:], 0
	for end < len(target) && target[end] > ' ' && target[end] != 0x7f {
		end++
	}
	path, sawQuery := stripTarget(target[:end])
	r.Path = path
	if end == len(target) {
		r.PathTruncated = !sawQuery
		return Partial
	}
	if end == 0 || target[end] != ' ' {
		return Invalid
	}
	off += end + 1
	version, st := parseVersion(b[off:])
	if st != Complete {
		return st
	}
	r.Version = version
	n, st := lineEnd(b[off+len("HTTP/1.1"):])
	if st != Complete {
		return st
	}
	r.LineDone = true
	return parseHeaders(b, off+len("HTTP/1.1")+n, &r.Framing)
}

// stripTarget drops the query (and fragment) of a request target and reduces
// an absolute-form target ("http://host/p") to its path. sawQuery reports
// whether a '?' or '#' ended the path.
func stripTarget(t []byte) (path []byte, sawQuery bool) {
	scheme := 0
	if hasPrefixFold(t, "http://") {
		scheme = len("http://")
	} else if hasPrefixFold(t, "https://") {
		scheme = len("https://")
	}
	if scheme > 0 {
		rest := t[scheme:]
		slash := indexByte(rest, '/')
		if slash < 0 {
			q := indexAny2(rest, '?', '#')
			return rootPath, q >= 0
		}
		t = rest[slash:]
	}
	if q := indexAny2(t, '?', '#'); q >= 0 {
		return t[:q], true
	}
	return t, false
}

var rootPath = []byte("/")
