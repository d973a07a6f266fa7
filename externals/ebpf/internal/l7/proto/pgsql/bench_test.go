package pgsql_test

import (
	"bytes"
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/pgsql"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// BenchmarkPgsql: ns per request of pgbench -S -M extended (Parse, Bind,
// Describe, Execute, Sync; ParseComplete... ReadyForQuery) through
// framing and matching, and as a baseline in the same run one
// bytes.IndexByte scan for NUL over the same payloads.
func BenchmarkPgsql(b *testing.B) {
	req := m('P', "\x00SELECT abalance FROM pgbench_accounts WHERE aid = $1\x00\x00\x00") + m('B', "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0512345\x00\x00") +
		m('D', "P\x00") + m('E', "\x00", code(0)) + m('S')
	res := m('1') + m('2') + rows + ready
	mk := func(dir l7.Dir, s string) l7.Event {
		return l7.Event{Dir: dir, Proto: l7.TCP, SockID: 1, TotalLen: uint32(len(s)), Payload: []byte(s),
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:5432")}
	}
	evs := []l7.Event{mk(l7.DirSend, req), mk(l7.DirRecv, res)}
	var base float64
	b.Run("baseline-nul-scan", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for i := range evs {
				p := evs[i].Payload
				for j := bytes.IndexByte(p, 0); j >= 0; j = bytes.IndexByte(p, 0) {
					p, n = p[j+1:], n+1
				}
			}
		}
		base = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		tr := stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}}, stream.SinkFunc(func(l7.Record) { n++ }))
		for b.Loop() {
			for i := range evs {
				evs[i].TimestampNs += 1000
				tr.Handle(&evs[i])
			}
		}
		if n != b.N { // detected mid-stream on the port
			b.Fatalf("%d exchanges of %d", n, b.N)
		}
		op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(op, "ns/request")
		if base > 0 {
			b.ReportMetric(op/base, "x-baseline")
		}
	})
}
