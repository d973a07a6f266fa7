package memcached_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/memcached"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// BenchmarkMemcached: ns per command of 8 pipelined gets (hits) through
// framing and matching, and as a baseline in the same run one
// bytes.Index scan for CRLF over the same payloads.
func BenchmarkMemcached(b *testing.B) {
	mk := func(dir l7.Dir, s string) l7.Event {
		return l7.Event{Dir: dir, Proto: l7.TCP, SockID: 1, TotalLen: uint32(len(s)), Payload: []byte(s),
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:11211")}
	}
	evs := []l7.Event{mk(l7.DirSend, strings.Repeat("get key:000042\r\n", 8)),
		mk(l7.DirRecv, strings.Repeat("VALUE key:000042 0 8\r\nxxxxxxxx\r\nEND\r\n", 8))}
	crlf := []byte("\r\n")
	var base float64
	b.Run("baseline-crlf-scan", func(b *testing.B) {
		for b.Loop() {
			for i := range evs {
				p := evs[i].Payload
				for j := bytes.Index(p, crlf); j >= 0; j = bytes.Index(p, crlf) {
					p = p[j+2:]
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
		if n != 8*b.N {
			b.Fatalf("%d exchanges of %d", n, 8*b.N)
		}
		op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(op/8, "ns/command")
		if base > 0 {
			b.ReportMetric(op/base, "x-baseline")
		}
	})
}
