package netflow

import (
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
)

// BenchmarkClosedConn: one connection per request (each with its own
// client port) closing, as the aggregator sees it. x-build is its cost
// against building the flow's tags once (the string work the group cache
// saves: without it, every close built them three times), measured in the
// same run.
func BenchmarkClosedConn(b *testing.B) {
	const ports = 1024
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	events := make([]netflowConnCloseEvent, ports)
	for i := range events {
		events[i].Sk, events[i].Conn = uint64(i+1), conn(roleClient, uint16(40000+i), 80, 100, 1000)
	}
	b.ReportAllocs()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		a.closedConn(&events[i%ports])
		if i%ports == ports-1 {
			a.flush(time.Unix(1, 0), nil)
		}
	}
	perEvent := time.Since(start).Seconds() / float64(b.N)

	b.StopTimer()
	t := time.Now()
	for i := 0; i < b.N; i++ {
		local, remote := endpoints(&events[i%ports].Conn.Tuple)
		_ = a.tags.Build(flowtags.Flow{Transport: "tcp", Local: local, Remote: remote, Outgoing: true})
	}
	b.ReportMetric(perEvent/(time.Since(t).Seconds()/float64(b.N)), "x-build")
}
