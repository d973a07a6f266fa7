package netlog

import (
	"testing"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
)

// The metric path's refused groups reach datakit_ebpf as per-period deltas.
func TestTableDropsAreReportedAsDeltas(t *testing.T) {
	p := &Plugin{}
	if d := p.tableDrops(); d != 0 {
		t.Fatalf("without the metric path: %d", d)
	}
	p.metrics = newMetrics(flowtags.Builder{}, nil)
	p.metrics.overflow = 5
	if d := p.tableDrops(); d != 5 {
		t.Errorf("first period: %d, want 5", d)
	}
	p.metrics.overflow = 7
	if d := p.tableDrops(); d != 2 {
		t.Errorf("second period: %d, want 2", d)
	}
}
