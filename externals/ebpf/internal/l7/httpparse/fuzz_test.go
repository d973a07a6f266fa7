package httpparse

import (
	"bytes"
	"slices"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
)

func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		recorded.IndexQueryRequest, recorded.PostRequest, recorded.MovedResponse,
		recorded.PythonResponse, recorded.BigResponseHead,
		"GET http://h/p?q HTTP/1.0\n\n", "HTTP/1.1 204\r\nContent-Length: 00\r\n\r\n", "\x16\x03\x01",
		// The edges of issue 14: empty lines first, any token a method,
		// path parameters, status codes of other than three digits.
		"\r\n\nGET /a HTTP/1.1\r\n\r\n", "PROPFIND /d;jsessionid=S?x HTTP/1.1\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\n\r\n", "BREW /pot HTTP/1.1\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 1000 OK\r\n\r\n", "HTTP/1.1 200X\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		st := ParseRequest(b, &r)
		checkFraming(t, b, st, &r.Framing)
		if st != Invalid {
			if r.Method != "" && r.Method != MethodOther && !slices.Contains(Methods[:], r.Method) {
				t.Fatalf("method %q", r.Method)
			}
			if bytes.ContainsAny(r.Path, "?#;") {
				t.Fatalf("path %q keeps a query or parameter", r.Path)
			}
			if len(r.Path) > len(b) || (len(r.Path) > 0 && !bytes.Contains(b, r.Path) && string(r.Path) != "/") {
				t.Fatalf("path %q not from input", r.Path)
			}
			// A valid head stays valid (or becomes complete) when cut short.
			for i := 0; i < len(b); i++ {
				if ParseRequest(b[:i], &r) == Invalid {
					t.Fatalf("prefix %d of a %v head is invalid", i, st)
				}
			}
		}
		var s Response
		st = ParseResponse(b, &s)
		checkFraming(t, b, st, &s.Framing)
		if s.LineDone {
			// Exactly three digits, then a space or the end of the line.
			line := bytes.TrimLeft(b, "\r\n")[len("HTTP/1.1 "):]
			if s.StatusCode < 100 || s.StatusCode > 999 || len(line) < 4 || !bytes.ContainsRune([]byte(" \r\n"), rune(line[3])) {
				t.Fatalf("status %d from %q", s.StatusCode, line)
			}
		}
	})
}

func checkFraming(t *testing.T, b []byte, st Status, f *Framing) {
	t.Helper()
	if st == Complete && (f.HeadLen <= 0 || f.HeadLen > len(b)) {
		t.Fatalf("complete with head length %d of %d", f.HeadLen, len(b))
	}
	if st != Complete && f.HeadLen != 0 {
		t.Fatalf("%v with head length %d", st, f.HeadLen)
	}
	if f.ContentLength < -1 {
		t.Fatalf("content length %d", f.ContentLength)
	}
}
