package netflow

import (
	"sync/atomic"

	"github.com/cilium/ebpf"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// selfStats counts the plugin's own work and losses; selfPoint reports
// them per interval as a datakit_ebpf point.
type selfStats struct {
	events, decodeErrors, queueDrops, points atomic.Uint64

	report measure.SelfCounters
}

func (p *Plugin) selfPoint(now time.Time) lp.Point {
	s := &p.self
	cur := map[string]uint64{
		"events":        s.events.Load(),
		"decode_errors": s.decodeErrors.Load(),
		"queue_drops":   s.queueDrops.Load(),
		"points":        s.points.Load(),
	}
	cur["kernel_drops"] = p.kernelDrops(uint32(netflowDropReasonDROP_RINGBUF_FULL))
	cur["map_full_drops"] = p.kernelDrops(uint32(netflowDropReasonDROP_CONN_MAP_FULL)) +
		p.kernelDrops(uint32(netflowDropReasonDROP_UDP_MAP_FULL))
	var runs, ns uint64
	for _, prog := range p.programs() {
		if st, err := prog.Stats(); err == nil {
			runs += st.RunCount
			ns += uint64(st.Runtime)
		}
	}
	cur["bpf_run_count"], cur["bpf_run_time_ns"] = runs, ns
	p.l7.stats(cur)

	return s.report.Point(p.Name(), p.cfg.Tags, now, cur)
}

// kernelDrops sums one reason's per-CPU counter.
func (p *Plugin) kernelDrops(reason uint32) uint64 {
	var perCPU []uint64
	if err := p.objs.Drops.Lookup(reason, &perCPU); err != nil {
		return 0
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n
}

func (p *Plugin) programs() []*ebpf.Program {
	var progs []*ebpf.Program
	for _, h := range Hooks() {
		for _, w := range h.ways { // whichever runs; the others are stubs
			for _, ap := range w.points {
				if prog, ok := p.objs.program(ap.prog); ok {
					progs = append(progs, prog)
				}
			}
		}
	}
	return progs
}
