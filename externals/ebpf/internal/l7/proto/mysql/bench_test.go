package mysql_test

import (
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/mysql"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// BenchmarkMySQL: ns per COM_QUERY answered by a one-row result set
// (six packets) through framing and matching, and as a baseline in the
// same run a bare walk of the same packets' length headers.
func BenchmarkMySQL(b *testing.B) {
	mk := func(dir l7.Dir, s string) l7.Event {
		return l7.Event{Dir: dir, Proto: l7.TCP, SockID: 1, TotalLen: uint32(len(s)), Payload: []byte(s),
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:3306")}
	}
	evs := []l7.Event{mk(l7.DirRecv, handshake), mk(l7.DirSend, response), mk(l7.DirRecv, authOK)}
	loop := []l7.Event{mk(l7.DirSend, pkt(0, "\x03SELECT v FROM u WHERE id = 1")), mk(l7.DirRecv, resultSet)}
	var base float64
	b.Run("baseline-header-walk", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for i := range loop {
				p := loop[i].Payload
				for len(p) >= 4 {
					l := int(p[0]) | int(p[1])<<8 | int(p[2])<<16
					p, n = p[min(len(p), 4+l):], n+1
				}
			}
		}
		base = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		tr := stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}}, stream.SinkFunc(func(l7.Record) { n++ }))
		for i := range evs {
			tr.Handle(&evs[i])
		}
		for b.Loop() {
			for i := range loop {
				loop[i].TimestampNs += 1000
				tr.Handle(&loop[i])
			}
		}
		if n != b.N {
			b.Fatalf("%d exchanges of %d", n, b.N)
		}
		op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(op, "ns/query")
		if base > 0 {
			b.ReportMetric(op/base, "x-baseline")
		}
	})
}
