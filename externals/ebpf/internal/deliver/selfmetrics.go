package deliver

import (
	"context"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
	"netobs.local/agent/externals/ebpf/internal/selfproc"
)

// SelfInput is the input name of the sender's own datakit_ebpf points.
const SelfInput = "datakit-ebpf/datakit_ebpf"

// selfLast are the counters at the previous self point, for deltas.
type selfLast struct{ points, errors, drops uint64 }

// SelfPoint returns the sender's counters since the previous call as a
// datakit_ebpf point tagged plugin=sender: points delivered, failed POST
// attempts (send_errors) and points dropped (send_drops). Not safe for
// concurrent use (one reporter calls it).
func (s *Sender) SelfPoint(now time.Time, tags []lp.Tag) lp.Point {
	cur := selfLast{s.Stats.Points.Load(), s.Stats.Errors.Load(), s.Stats.Drops.Load()}
	last := s.self
	s.self = cur
	return lp.Point{
		Name: measure.Collector.Name,
		Tags: append([]lp.Tag{{Key: "plugin", Value: "sender"}}, tags...),
		Fields: []lp.Field{
			lp.Int("points", int64(cur.points-last.points)),
			lp.Int("send_errors", int64(cur.errors-last.errors)),
			lp.Int("send_drops", int64(cur.drops-last.drops)),
			lp.Int("queue_depth", int64(len(s.queue))),
			lp.Int("queue_capacity", int64(cap(s.queue))),
		},
		Time: now,
	}
}

// ReportSelf queues a self point every interval until ctx ends, and one
// last one then, so the losses of delivery show up where the data goes.
// With it goes the process's own CPU and RSS (plugin=collector).
func (s *Sender) ReportSelf(ctx context.Context, every time.Duration, tags []lp.Tag) {
	t := time.NewTicker(every)
	defer t.Stop()
	proc := selfproc.NewSampler()
	report := func(now time.Time) {
		pts := []lp.Point{s.SelfPoint(now, tags)}
		if p, ok := processPoint(proc, now, tags); ok {
			pts = append(pts, p)
		}
		s.Write("metric", SelfInput, pts)
	}
	for {
		select {
		case now := <-t.C:
			report(now)
		case <-ctx.Done():
			report(time.Now())
			return
		}
	}
}

// processPoint is the collector's CPU over the interval and its RSS now.
func processPoint(proc *selfproc.Sampler, now time.Time, tags []lp.Tag) (lp.Point, bool) {
	u, err := proc.Sample(now)
	if err != nil {
		return lp.Point{}, false
	}
	return lp.Point{
		Name: measure.Collector.Name,
		Tags: append([]lp.Tag{{Key: "plugin", Value: "collector"}}, tags...),
		Fields: []lp.Field{
			lp.Int("cpu_millicores", u.Millicores),
			lp.Int("rss_bytes", u.RSSBytes),
		},
		Time: now,
	}, true
}
