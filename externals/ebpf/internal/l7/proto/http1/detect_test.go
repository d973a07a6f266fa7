package http1

import (
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// An unknown method makes a socket HTTP only with its whole request line;
// a known one does from its first bytes.
func TestDetectOtherMethod(t *testing.T) {
	for _, tc := range []struct {
		first string
		http  bool
	}{
		{"AUTH user", false},
		{"AUTH user HTTP/1.1\r\n", true},
		{"GET /part", true},
		{"PROPFIND /part", true},
	} {
		ev := &l7.Event{Proto: l7.TCP, Dir: l7.DirSend, Payload: []byte(tc.first), TotalLen: uint32(len(tc.first))}
		if got := (parser{}).Detect(ev, false) == stream.Yes; got != tc.http {
			t.Errorf("%q: http %v, want %v", tc.first, got, tc.http)
		}
	}
}
