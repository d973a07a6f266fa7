package httpparse

// Request is what a request head says. Path points into the parsed input.
type Request struct {
	// Method is one of Methods, or MethodOther for any other token; ""
	// until the method is complete.
	Method string
	// Path is the request target without its query string, fragment or
	// path parameters (origin form; an absolute-form target is reduced to
	// its path). It may be partial.
	Path []byte
	// PathTruncated: the input ended inside the path.
	PathTruncated bool
	// Version is Version10 or Version11; "" until it is complete.
	Version string
	// LineDone: the whole request line was in the input.
	LineDone bool
	Framing
}

// Methods lists the methods reported by name: those llhttp knows (RFC 9110,
// PATCH, WebDAV, CalDAV, UPnP, PURGE, QUERY). Any other token is a method
// too (RFC 9110 section 9.1) and is reported as MethodOther, so that the
// method tag's cardinality stays bounded whatever clients send.
var Methods = [...]string{
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
	"COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK",
	"BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
	"M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR",
	"LINK", "UNLINK", "SOURCE", "QUERY",
}

// MethodOther stands for every method not in Methods.
const MethodOther = "OTHER"

// maxMethodLen bounds a method token: longer than any registered method
// (the longest in IANA's registry, UPDATEREDIRECTREF, has 17 bytes), short
// enough that a run of letters is soon known not to be a request line.
const maxMethodLen = 20

// method returns the constant string for the token b.
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
	return otherMethod(b)
}

// otherMethod looks b up in the rest of Methods; the common nine are
// switched on above so that they cost no loop.
func otherMethod(b []byte) string {
	for _, m := range Methods[9:] {
		if string(b) == m {
			return m
		}
	}
	return MethodOther
}

// ParseRequest parses the request head at the start of b into r. Empty
// lines before the request line are skipped (RFC 9112 section 2.2) and
// counted in HeadLen.
func ParseRequest(b []byte, r *Request) Status {
	*r = Request{Framing: Framing{ContentLength: -1}}
	off := 0
	if len(b) == 0 || b[0] == '\r' || b[0] == '\n' {
		var st Status
		if off, st = skipEmptyLines(b); st != Complete {
			return st
		}
	}
	m := b[off:min(len(b), off+maxMethodLen+1)]
	sp := indexByte(m, ' ')
	switch {
	case sp < 0 && len(m) <= maxMethodLen && isToken(m):
		return Partial // a method, or the start of one
	case sp <= 0:
		return Invalid
	}
	if r.Method = method(m[:sp]); r.Method == MethodOther && !isToken(m[:sp]) {
		r.Method = ""
		return Invalid
	}
	off += sp + 1
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

// stripTarget drops the query, fragment and path parameters (";jsessionid=…",
// which carry session secrets as often as queries do) of a request target
// and reduces an absolute-form target ("http://host/p") to its path.
// sawQuery reports whether a '?', '#' or ';' ended the path.
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
			return rootPath, indexQuery(rest) >= 0
		}
		t = rest[slash:]
	}
	if q := indexQuery(t); q >= 0 {
		return t[:q], true
	}
	return t, false
}

var rootPath = []byte("/")
