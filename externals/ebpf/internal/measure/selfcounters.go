package measure

import (
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// SelfCounters turns a plugin's cumulative counters into the per-interval
// deltas of its datakit_ebpf point, so every plugin reports losses the same
// way. The zero value is ready to use; it is not safe for concurrent use.
type SelfCounters struct {
	last map[string]uint64 // the cumulative values at the previous report
}

// Point reports cur, the cumulative value of each counter by field name, as
// the deltas since the previous call. Fields not declared in Collector are
// ignored; a declared field missing from cur is left out.
func (s *SelfCounters) Point(plugin string, tags []lp.Tag, now time.Time, cur map[string]uint64) lp.Point {
	pt := lp.Point{Name: Collector.Name, Time: now, Tags: append([]lp.Tag{{Key: "plugin", Value: plugin}}, tags...)}
	for _, f := range Collector.Fields {
		if v, ok := cur[f.Name]; ok {
			pt.Fields = append(pt.Fields, lp.Int(f.Name, int64(v-s.last[f.Name])))
		}
	}
	s.last = cur
	return pt
}
