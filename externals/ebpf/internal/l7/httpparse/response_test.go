package httpparse

import (
	"fmt"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name, in string
		st       Status
		version  string
		code     int
		headLen  int
		cl       int64
		chunked  bool
		close    bool
	}{
		{"nginx 200", recorded.IndexQueryResponse, Complete, "1.1", 200, len(recorded.IndexQueryResponse) - 17, 17, false, false},
		{"nginx 301", recorded.MovedResponse, Complete, "1.1", 301, len(recorded.MovedResponse) - 169, 169, false, false},
		{"nginx 404", recorded.MissingResponse, Complete, "1.1", 404, len(recorded.MissingResponse) - 153, 153, false, false},
		{"nginx 500 close", recorded.FailResponse, Complete, "1.1", 500, len(recorded.FailResponse) - 177, 177, false, true},
		{"nginx 1 MiB head", recorded.BigResponseHead, Complete, "1.1", 200, len(recorded.BigResponseHead), recorded.BigBodyLen, false, false},
		{"python http 1.0", recorded.PythonResponse, Complete, "1.0", 200, len(recorded.PythonResponse) - 17, 17, false, false},
		{"no reason", "HTTP/1.1 204\r\n\r\n", Complete, "1.1", 204, 16, -1, false, false},
		{"chunked", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello", Complete, "1.1", 200, 47, -1, true, false},
		{"continue", "HTTP/1.1 100 Continue\r\n\r\n", Complete, "1.1", 100, 25, -1, false, false},
		{"no reason, bare LF", "HTTP/1.1 204\n\n", Complete, "1.1", 204, 14, -1, false, false},
		{"empty lines before", "\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Complete, "1.1", 200, 41, 0, false, false},

		{"empty", "", Partial, "", 0, 0, -1, false, false},
		{"inside proto", "HTTP/", Partial, "", 0, 0, -1, false, false},
		{"inside code", "HTTP/1.1 20", Partial, "", 0, 0, -1, false, false},
		{"inside reason", "HTTP/1.1 200 O", Partial, "", 0, 0, -1, false, false},
		{"inside headers", "HTTP/1.1 200 OK\r\nServer: ngi", Partial, "1.1", 200, 0, -1, false, false},
		{"after code", "HTTP/1.1 200", Partial, "", 0, 0, -1, false, false},
		{"only empty lines", "\r\n", Partial, "", 0, 0, -1, false, false},
		{"inside proto after empty line", "\r\nHTTP/1.", Partial, "", 0, 0, -1, false, false},

		{"request", recorded.MovedRequest, Invalid, "", 0, 0, -1, false, false},
		{"http 2", "HTTP/2 200\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"letters in code", "HTTP/1.1 2x0 OK\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"code too small", "HTTP/1.1 099 X\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"four digits", "HTTP/1.1 1000 OK\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"four digits, no reason", "HTTP/1.1 2000\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"letter after code", "HTTP/1.1 200X\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"tab after code", "HTTP/1.1 200\tOK\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"control in reason", "HTTP/1.1 200 O\x00K\r\n\r\n", Invalid, "", 0, 0, -1, false, false},
		{"binary body", "\x89PNG\r\n\x1a\n", Invalid, "", 0, 0, -1, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			st := ParseResponse([]byte(tc.in), &r)
			if st != tc.st {
				t.Fatalf("status %v, want %v", st, tc.st)
			}
			if st == Invalid {
				return
			}
			if r.Version != tc.version || r.StatusCode != tc.code {
				t.Errorf("got %q %d, want %q %d", r.Version, r.StatusCode, tc.version, tc.code)
			}
			if r.HeadLen != tc.headLen || r.ContentLength != tc.cl || r.Chunked != tc.chunked || r.Close != tc.close {
				t.Errorf("framing %+v, want headLen=%d cl=%d chunked=%v close=%v", r.Framing, tc.headLen, tc.cl, tc.chunked, tc.close)
			}
		})
	}
}

func TestResponsePrefixes(t *testing.T) {
	for _, head := range []string{recorded.MovedResponse, recorded.PythonResponse, recorded.BigResponseHead} {
		var r Response
		end := strings.Index(head, "\r\n\r\n") + 4
		for i := 0; i < end; i++ {
			if st := ParseResponse([]byte(head[:i]), &r); st != Partial {
				t.Fatalf("prefix %q: %v, want partial", head[:i], st)
			}
		}
	}
}

// Pipelined responses in one capture, with the empty line some servers
// leave after a body, are found by walking HeadLen plus Content-Length.
func TestPipelinedResponses(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + "\r\n" +
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + "\n\n" +
		"HTTP/1.1 100 Continue\r\n\r\n" +
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
	var got []int
	for b := []byte(in); len(b) > 0; {
		var r Response
		if st := ParseResponse(b, &r); st != Complete {
			t.Fatalf("%v at %q", st, b)
		}
		got = append(got, r.StatusCode)
		b = b[r.HeadLen+int(max(r.ContentLength, 0)):]
	}
	if fmt.Sprint(got) != "[200 404 100 201]" {
		t.Fatalf("got %v", got)
	}
}

func TestBodyAllowed(t *testing.T) {
	for code, want := range map[int]bool{100: false, 101: false, 200: true, 204: false, 301: true, 304: false, 404: true, 500: true} {
		if BodyAllowed(code) != want {
			t.Errorf("BodyAllowed(%d) = %v", code, !want)
		}
	}
}
