package deliver

import (
	"context"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
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
		},
		Time: now,
	}
}

// ReportSelf queues a self point every interval until ctx ends, and one
// last one then, so the losses of delivery show up where the data goes.
func (s *Sender) ReportSelf(ctx context.Context, every time.Duration, tags []lp.Tag) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.Write("metric", SelfInput, []lp.Point{s.SelfPoint(now, tags)})
		case <-ctx.Done():
			s.Write("metric", SelfInput, []lp.Point{s.SelfPoint(time.Now(), tags)})
			return
		}
	}
}
