package httpparse

import (
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name, in  string
		st        Status
		method    string
		path      string
		truncated bool
		version   string
		headLen   int
		cl        int64
		chunked   bool
	}{
		{"curl query stripped", recorded.IndexQueryRequest, Complete, "GET", "/index.html", false, "1.1", len(recorded.IndexQueryRequest), -1, false},
		{"curl 301", recorded.MovedRequest, Complete, "GET", "/moved", false, "1.1", len(recorded.MovedRequest), -1, false},
		{"curl POST with body", recorded.PostRequest, Complete, "POST", "/echo", false, "1.1", len(recorded.PostRequest) - len("name=value&a=b"), 14, false},
		{"http 1.0", "GET /a HTTP/1.0\r\n\r\n", Complete, "GET", "/a", false, "1.0", 19, -1, false},
		{"bare LF", "GET /a HTTP/1.1\nHost: x\n\n", Complete, "GET", "/a", false, "1.1", 25, -1, false},
		{"chunked", "PUT /u HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", Complete, "PUT", "/u", false, "1.1", 53, -1, true},
		{"fragment", "GET /a#frag HTTP/1.1\r\n\r\n", Complete, "GET", "/a", false, "1.1", 24, -1, false},
		{"absolute form", "GET http://example.com/p/q?x HTTP/1.1\r\n\r\n", Complete, "GET", "/p/q", false, "1.1", 41, -1, false},
		{"absolute form no path", "GET https://example.com HTTP/1.1\r\n\r\n", Complete, "GET", "/", false, "1.1", 36, -1, false},
		{"asterisk", "OPTIONS * HTTP/1.1\r\n\r\n", Complete, "OPTIONS", "*", false, "1.1", 22, -1, false},
		{"connect authority", "CONNECT example.com:443 HTTP/1.1\r\n\r\n", Complete, "CONNECT", "example.com:443", false, "1.1", 36, -1, false},
		{"folded header", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", Complete, "GET", "/", false, "1.1", 28, -1, false},
		{"empty line before", "\r\nGET /a HTTP/1.1\r\n\r\n", Complete, "GET", "/a", false, "1.1", 21, -1, false},
		{"empty lines before, LF and CRLF", "\n\r\n\nPOST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n", Complete, "POST", "/a", false, "1.1", 43, 2, false},
		{"webdav", "PROPFIND /dav/ HTTP/1.1\r\nDepth: 1\r\n\r\n", Complete, "PROPFIND", "/dav/", false, "1.1", 37, -1, false},
		{"purge", "PURGE /cached HTTP/1.1\r\n\r\n", Complete, "PURGE", "/cached", false, "1.1", 26, -1, false},
		{"query", "QUERY /search HTTP/1.1\r\nContent-Length: 0\r\n\r\n", Complete, "QUERY", "/search", false, "1.1", 45, 0, false},
		{"ssdp", "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\n\r\n", Complete, "M-SEARCH", "*", false, "1.1", 45, -1, false},
		{"unknown method", "BREW /pot HTTP/1.1\r\n\r\n", Complete, "OTHER", "/pot", false, "1.1", 22, -1, false},
		{"methods are case-sensitive", "get / HTTP/1.1\r\n\r\n", Complete, "OTHER", "/", false, "1.1", 18, -1, false},
		{"longest method", strings.Repeat("X", 20) + " / HTTP/1.1\r\n\r\n", Complete, "OTHER", "/", false, "1.1", 35, -1, false},
		{"path parameter", "GET /a;jsessionid=SECRET HTTP/1.1\r\n\r\n", Complete, "GET", "/a", false, "1.1", 37, -1, false},
		{"path parameter mid-path", "GET /a;v=1/b;jsessionid=SECRET?q=1 HTTP/1.1\r\n\r\n", Complete, "GET", "/a", false, "1.1", 47, -1, false},
		{"absolute form path parameter", "GET http://h/p;sid=SECRET HTTP/1.1\r\n\r\n", Complete, "GET", "/p", false, "1.1", 38, -1, false},
		{"secret headers skipped", "GET /s HTTP/1.1\r\nAuthorization: Bearer abc\r\nCookie: k=v\r\n\r\n", Complete, "GET", "/s", false, "1.1", 59, -1, false},

		{"empty", "", Partial, "", "", false, "", 0, -1, false},
		{"method prefix", "DELE", Partial, "", "", false, "", 0, -1, false},
		{"ends inside path", "GET /very/long/pa", Partial, "GET", "/very/long/pa", true, "", 0, -1, false},
		{"ends inside query", "GET /p?a=1&b", Partial, "GET", "/p", false, "", 0, -1, false},
		{"ends after method", "GET ", Partial, "GET", "", true, "", 0, -1, false},
		{"ends inside version", "GET /p HTTP/1", Partial, "GET", "/p", false, "", 0, -1, false},
		{"ends before LF", "GET /p HTTP/1.1\r", Partial, "GET", "/p", false, "1.1", 0, -1, false},
		{"ends inside headers", "GET /p HTTP/1.1\r\nHost: a", Partial, "GET", "/p", false, "1.1", 0, -1, false},
		{"only empty lines", "\r\n\n", Partial, "", "", false, "", 0, -1, false},
		{"ends inside an empty line", "\r\n\r", Partial, "", "", false, "", 0, -1, false},
		{"ends inside a method", "\r\nPROPFI", Partial, "", "", false, "", 0, -1, false},
		{"ends inside a path parameter", "GET /a;jsessionid=SEC", Partial, "GET", "/a", false, "", 0, -1, false},

		{"method too long", strings.Repeat("X", 21) + " / HTTP/1.1\r\n\r\n", Invalid, "", "", false, "", 0, -1, false},
		{"method not a token", "GE(T / HTTP/1.1\r\n\r\n", Invalid, "", "", false, "", 0, -1, false},
		{"CR without LF before", "\rGET / HTTP/1.1\r\n\r\n", Invalid, "", "", false, "", 0, -1, false},
		{"space before", " GET / HTTP/1.1\r\n\r\n", Invalid, "", "", false, "", 0, -1, false},
		{"http 2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Invalid, "", "", false, "", 0, -1, false},
		{"http 0.9 style", "GET /\r\n", Invalid, "GET", "/", false, "", 0, -1, false},
		{"two spaces", "GET  / HTTP/1.1\r\n\r\n", Invalid, "GET", "", false, "", 0, -1, false},
		{"bad version", "GET / HTTP/1.2\r\n\r\n", Invalid, "GET", "/", false, "", 0, -1, false},
		{"bad content length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", Invalid, "POST", "/", false, "1.1", 0, -1, false},
		{"header without colon", "GET / HTTP/1.1\r\nnonsense\r\n\r\n", Invalid, "GET", "/", false, "1.1", 0, -1, false},
		{"tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", Invalid, "", "", false, "", 0, -1, false},
		{"binary", "\x00\x01\x02\x03", Invalid, "", "", false, "", 0, -1, false},
		{"response is not a request", recorded.MovedResponse, Invalid, "", "", false, "", 0, -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			st := ParseRequest([]byte(tc.in), &r)
			if st != tc.st {
				t.Fatalf("status %v, want %v", st, tc.st)
			}
			if st == Invalid {
				return
			}
			if r.Method != tc.method || string(r.Path) != tc.path || r.PathTruncated != tc.truncated || r.Version != tc.version {
				t.Errorf("got %q %q truncated=%v %q, want %q %q truncated=%v %q",
					r.Method, r.Path, r.PathTruncated, r.Version, tc.method, tc.path, tc.truncated, tc.version)
			}
			if r.HeadLen != tc.headLen || r.ContentLength != tc.cl || r.Chunked != tc.chunked {
				t.Errorf("framing %+v, want headLen=%d cl=%d chunked=%v", r.Framing, tc.headLen, tc.cl, tc.chunked)
			}
		})
	}
}

func TestEveryMethod(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Methods {
		if seen[m] || m == MethodOther {
			t.Errorf("%q twice", m)
		}
		seen[m] = true
		for _, v := range []string{"1.0", "1.1"} {
			var r Request
			in := m + " /x HTTP/" + v + "\r\n\r\n"
			if st := ParseRequest([]byte(in), &r); st != Complete || r.Method != m || r.Version != v {
				t.Errorf("%q: %v %q %q", in, st, r.Method, r.Version)
			}
		}
	}
}

// Every proper prefix of a valid head is Partial (a head split across
// captures is recognized from its first byte), and the whole is Complete.
func TestRequestPrefixes(t *testing.T) {
	for _, head := range []string{recorded.IndexQueryRequest, recorded.PostRequest, recorded.BigRequest} {
		var r Request
		end := strings.Index(head, "\r\n\r\n") + 4
		for i := 0; i < end; i++ {
			if st := ParseRequest([]byte(head[:i]), &r); st != Partial {
				t.Fatalf("prefix %q: %v, want partial", head[:i], st)
			}
		}
		if st := ParseRequest([]byte(head), &r); st != Complete || r.HeadLen != end {
			t.Fatalf("%q: %v headLen %d", head, st, r.HeadLen)
		}
	}
}

// Pipelined requests in one capture are found by walking HeadLen plus
// Content-Length; a body that looks like a request line is skipped over.
func TestPipelinedWalk(t *testing.T) {
	body := "GET /not-a-request HTTP/1.1\r\n\r\n"
	in := "POST /first HTTP/1.1\r\nContent-Length: 31\r\n\r\n" + body +
		"\r\n" + // an old client's CRLF after a POST body
		"GET /second HTTP/1.1\r\nHost: a\r\n\r\n" +
		"HEAD /third?q HTTP/1.0\r\n\r\n" +
		"GET /fourth/cut"
	var got []string
	b := []byte(in)
	for len(b) > 0 {
		var r Request
		st := ParseRequest(b, &r)
		if st == Invalid {
			t.Fatalf("invalid at %q", b)
		}
		got = append(got, r.Method+" "+string(r.Path))
		if st == Partial {
			if !r.PathTruncated {
				t.Errorf("last request not marked truncated")
			}
			break
		}
		b = b[r.HeadLen+int(max(r.ContentLength, 0)):]
	}
	want := []string{"POST /first", "GET /second", "HEAD /third", "GET /fourth/cut"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
}
