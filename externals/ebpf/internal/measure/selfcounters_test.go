package measure

import (
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

func TestSelfCountersReportDeltas(t *testing.T) {
	var s SelfCounters
	now := time.Unix(1700000000, 0)
	first := s.Point("ebpf-bash", []lp.Tag{{Key: "host", Value: "h"}}, now, map[string]uint64{"events": 5, "queue_drops": 1, "undeclared": 9})
	second := s.Point("ebpf-bash", nil, now, map[string]uint64{"events": 12, "queue_drops": 1})
	field := func(p lp.Point, name string) (int64, bool) {
		for _, f := range p.Fields {
			if f.Key == name {
				return f.Value.IntV(), true
			}
		}
		return 0, false
	}
	if v, _ := field(first, "events"); v != 5 {
		t.Errorf("first events = %d, want 5", v)
	}
	if v, _ := field(second, "events"); v != 7 {
		t.Errorf("second events = %d, want the delta 7", v)
	}
	if v, _ := field(second, "queue_drops"); v != 0 {
		t.Errorf("second queue_drops = %d, want 0", v)
	}
	if _, ok := field(first, "undeclared"); ok {
		t.Error("a field Collector does not declare was reported")
	}
	if first.Name != "datakit_ebpf" || first.Tags[0] != (lp.Tag{Key: "plugin", Value: "ebpf-bash"}) || first.Tags[1].Key != "host" {
		t.Errorf("point %+v", first)
	}
}
