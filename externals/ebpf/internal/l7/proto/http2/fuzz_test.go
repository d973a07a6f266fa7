package http2_test

import (
	"net/http"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http2"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// FuzzConn feeds a preface and then arbitrary bytes, cut into events at
// the fuzzer's choice, both ways: it must never panic, and the state must
// stay within its bounds. The seeds are a recorded h2c session's calls.
func FuzzConn(f *testing.F) {
	client, server := session(&testing.T{}, handler, func(c *http.Client, base string) {
		req, _ := http.NewRequest("GET", base+"/a?x=1", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	for _, calls := range [][]recorded{client, server} {
		var b []byte
		var cuts []byte
		for _, c := range calls {
			b = append(b, c.b...)
			cuts = append(cuts, byte(len(c.b)), byte(c.dir))
		}
		f.Add(b, cuts)
	}
	f.Fuzz(func(t *testing.T, b, cuts []byte) {
		cfg := stream.Config{Protocols: protocols.Default()}
		tr := stream.New(cfg, &sink{})
		ev := l7.Event{Dir: l7.DirSend, Proto: l7.TCP, SockID: 1, Payload: http2.Preface, TotalLen: uint32(len(http2.Preface))}
		tr.Handle(&ev)
		for i := 0; len(b) > 0; i += 2 {
			n, dir, capped := len(b), l7.DirSend, 512
			if i+1 < len(cuts) {
				n = min(n, int(cuts[i])+1)
				dir = l7.Dir(cuts[i+1]%2 + 1)
				capped = int(cuts[i+1]) * 4
			}
			ev := l7.Event{Dir: dir, Proto: l7.TCP, SockID: 1, TotalLen: uint32(n), Payload: b[:min(n, capped)]}
			tr.Handle(&ev)
			b = b[n:]
		}
		if st := tr.Stats(); st.Sockets > 1 {
			t.Fatalf("sockets %d", st.Sockets)
		}
		ev = l7.Event{Dir: l7.DirClose, Proto: l7.TCP, SockID: 1}
		tr.Handle(&ev)
	})
}
