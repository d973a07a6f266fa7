package http2_test

import (
	"net/http"
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// BenchmarkSession replays a recorded client session (preface, settings,
// 20 GET streams on one connection) per iteration and reports ns per
// frame and per exchange, connection setup (two HPACK decoders) included.
func BenchmarkSession(b *testing.B) {
	t := &testing.T{}
	client, _ := session(t, handler, func(c *http.Client, base string) {
		for i := 0; i < 20; i++ {
			do(t, c, "GET", base+"/a/b?i=1", "", "Cookie", "s=secret")
		}
	})
	frames := 0
	for _, c := range client {
		for p := c.b; len(p) >= 9; {
			n := 9 + (int(p[0])<<16 | int(p[1])<<8 | int(p[2]))
			if string(p[:min(len(p), 3)]) == "PRI" {
				n = 24
			}
			frames++
			p = p[min(n, len(p)):]
		}
	}
	local, remote := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:8080")
	s := &sink{}
	tr := stream.New(stream.Config{Protocols: protocols.Default()}, s)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range client {
			e := l7.Event{Dir: c.dir, Proto: l7.TCP, SockID: uint64(i), TimestampNs: uint64(i), Local: local, Remote: remote,
				TotalLen: uint32(len(c.b)), Payload: c.b[:min(len(c.b), l7.DefaultCaptureBytes)]}
			tr.Handle(&e)
		}
		e := l7.Event{Dir: l7.DirClose, Proto: l7.TCP, SockID: uint64(i)}
		tr.Handle(&e)
		s.got = s.got[:0]
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/exchange")
}
