package redis_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/redis"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// pipelinedEvents: 16 SETs in one send and their 16 replies in one recv,
// as redis-benchmark -P 16 writes them.
func pipelinedEvents() []l7.Event {
	cmds := strings.Repeat("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$8\r\nxxxxxxxx\r\n", 16)
	replies := strings.Repeat("+OK\r\n", 16)
	mk := func(dir l7.Dir, b string) l7.Event {
		return l7.Event{Dir: dir, Proto: l7.TCP, SockID: 1, TotalLen: uint32(len(b)), Payload: []byte(b),
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:6379")}
	}
	return []l7.Event{mk(l7.DirSend, cmds), mk(l7.DirRecv, replies)}
}

// BenchmarkRedis: ns per command through detection, framing and matching
// (16 commands per op), and as a baseline in the same run one
// bytes.Index scan for CRLF over the same payloads: the least a framer
// reading every header must do.
func BenchmarkRedis(b *testing.B) {
	evs := pipelinedEvents()
	var base float64
	b.Run("baseline-crlf-scan", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for i := range evs {
				p := evs[i].Payload
				for j := bytes.Index(p, crlf); j >= 0; j = bytes.Index(p, crlf) {
					p, n = p[j+2:], n+1
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
		if n != 16*b.N {
			b.Fatalf("%d exchanges of %d", n, 16*b.N)
		}
		op := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(op/16, "ns/command")
		if base > 0 {
			b.ReportMetric(op/base, "x-baseline")
		}
	})
}

var crlf = []byte("\r\n")
