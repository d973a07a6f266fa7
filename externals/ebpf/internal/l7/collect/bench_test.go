package collect

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
)

// workload is a realistic event mix: 64 keep-alive HTTP connections seen
// from both ends (4 events per exchange) and a resolver's DNS queries.
func workload(rounds int) []l7.Event {
	var evs []l7.Event
	var now uint64
	add := func(id uint64, proto l7.Proto, dir l7.Dir, local, remote netip.AddrPort, b []byte) {
		now += 500
		evs = append(evs, l7.Event{Dir: dir, Proto: proto, Pid: uint32(id%7 + 1), TimestampNs: now, SockID: id,
			Local: local, Remote: remote, TotalLen: uint32(len(b)), Payload: b[:min(len(b), l7.DefaultCaptureBytes)]})
	}
	srv := netip.MustParseAddrPort("127.0.0.1:80")
	req, resp := []byte(recorded.IndexQueryRequest), []byte(recorded.IndexQueryResponse)
	resolver := netip.MustParseAddrPort("127.0.0.1:53")
	stub := netip.MustParseAddrPort("127.0.0.1:50000")
	for r := 0; r < rounds; r++ {
		for c := uint64(0); c < 64; c++ {
			cli := netip.AddrPortFrom(srv.Addr(), uint16(40000+c))
			add(2*c+10, l7.TCP, l7.DirSend, cli, srv, req)
			add(2*c+11, l7.TCP, l7.DirRecv, srv, cli, req)
			add(2*c+11, l7.TCP, l7.DirSend, srv, cli, resp)
			add(2*c+10, l7.TCP, l7.DirRecv, cli, srv, resp)
		}
		id := uint16(r)
		add(1, l7.UDP, l7.DirSend, stub, resolver, dnswire.Query(id, "www.example.com.", dnsmessage.TypeA))
		add(1, l7.UDP, l7.DirRecv, stub, resolver, dnswire.Response(id, "www.example.com.", dnsmessage.RCodeSuccess, false, netip.MustParseAddr("192.0.2.1")))
	}
	return evs
}

// BenchmarkPipeline measures events/s through stream tracking and both
// aggregators, with a flush every 10,000 events, against a baseline that
// only scans each payload for the end of an HTTP head (bytes.Index) in the
// same run: the ratio says how much the whole L7 path costs over touching
// the bytes once.
func BenchmarkPipeline(b *testing.B) {
	evs := workload(200)
	c := New(Config{Enabled: []string{"http", "dns"}})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c.Handle(&evs[i%len(evs)])
		if i%10000 == 9999 {
			c.Flush(time.Unix(0, 0))
		}
	}
	ours := time.Since(start).Seconds()
	b.StopTimer()
	crlf2 := []byte("\r\n\r\n")
	start = time.Now()
	for i := 0; i < b.N; i++ {
		bytes.Index(evs[i%len(evs)].Payload, crlf2)
	}
	base := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/ours, "events/s")
	b.ReportMetric(ours/base, "x_bytes.Index")
	if st := c.Stats(); b.N >= len(evs) && (st.HTTPExchanges == 0 || st.DNSExchanges == 0) {
		b.Fatalf("nothing matched: %+v", st.Stats)
	}
}
