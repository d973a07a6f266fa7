package httpparse

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// TestAgreesWithNetHTTP runs edge vectors on which llhttp, picohttpparser
// and Go's net/http agree through both our parser and net/http: both
// accept or both reject, and an accepted head has the same method (or
// MethodOther) and status code. Leading empty lines are left out: net/http
// skips them in its server loop, not in ReadRequest.
func TestAgreesWithNetHTTP(t *testing.T) {
	requests := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n",
		"PURGE /c HTTP/1.1\r\nHost: a\r\n\r\n",
		"QUERY /q HTTP/1.1\r\nHost: a\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n",
		"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
		"get / HTTP/1.1\r\nHost: a\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	for _, in := range requests {
		var r Request
		ours := ParseRequest([]byte(in), &r) == Complete
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(in)))
		if ours != (err == nil) {
			t.Errorf("%q: ours %v, net/http %v", in, ours, err)
			continue
		}
		if ours && r.Method != req.Method && r.Method != MethodOther {
			t.Errorf("%q: method %q, net/http %q", in, r.Method, req.Method)
		}
	}
	responses := []string{
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 204\r\n\r\n",
		"HTTP/1.1 1000 OK\r\n\r\n",
		"HTTP/1.1 2000\r\n\r\n",
		"HTTP/1.1 200X\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
	}
	for _, in := range responses {
		var r Response
		ours := ParseResponse([]byte(in), &r) == Complete
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(in)), nil)
		if ours != (err == nil) {
			t.Errorf("%q: ours %v, net/http %v", in, ours, err)
			continue
		}
		if ours && r.StatusCode != resp.StatusCode {
			t.Errorf("%q: status %d, net/http %d", in, r.StatusCode, resp.StatusCode)
		}
	}
}
