// Package dnsflow aggregates DNS exchanges into dnsflow points, one per
// interval per (connection tags, query name, rcode), with the mean and the
// maximum latency.
package dnsflow

import (
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/conntags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Config configures an Aggregator.
type Config struct {
	// Tags builds the connection-level tags; required.
	Tags l7.TagFunc
	// MaxSeries bounds the series per interval (default 10000); queries of
	// further series are counted in Overflow.
	MaxSeries int
	// Stage, if set, selects and enriches each series at flush.
	Stage l7.Stage
}

type key struct {
	name  string
	rcode int
}

type stats struct{ count, latencySum, latencyMax uint64 }

// Aggregator sums exchanges until Flush. Not safe for concurrent use.
type Aggregator struct {
	cfg    Config
	series *conntags.Series[key, stats]
}

// New returns an Aggregator.
func New(cfg Config) *Aggregator {
	return &Aggregator{cfg: cfg, series: conntags.NewSeries[key, stats](cfg.Tags, cfg.MaxSeries)}
}

// DNS adds one exchange.
func (a *Aggregator) DNS(x *l7.DNSExchange) {
	s, _ := a.series.Get(x.Conn, key{x.Name, x.RCode})
	if s == nil {
		return
	}
	s.count++
	s.latencySum += x.LatencyNs
	s.latencyMax = max(s.latencyMax, x.LatencyNs)
}

// Overflow counts queries dropped because MaxSeries was reached.
func (a *Aggregator) Overflow() uint64 { return a.series.Overflow() }

// Flush returns the interval's points stamped t and starts a new interval.
func (a *Aggregator) Flush(t time.Time) []lp.Point {
	pts := make([]lp.Point, 0, a.series.Len())
	a.series.Flush(func(conn []lp.Tag, c l7.ConnInfo, k key, s *stats) {
		if a.cfg.Stage != nil && !a.cfg.Stage.Observe(c.Pid) {
			return
		}
		tags := append(make([]lp.Tag, 0, 32), conn...)
		if a.cfg.Stage != nil {
			tags = a.cfg.Stage.Enrich(tags, c)
		}
		tags = append(tags, lp.Tag{Key: "source", Value: measure.Dnsflow.Name}, lp.Tag{Key: "dst_domain", Value: k.name})
		pts = append(pts, lp.Point{
			Name: measure.Dnsflow.Name,
			Tags: tags,
			Fields: []lp.Field{
				lp.Int("count", int64(s.count)),
				lp.Int("latency", int64(s.latencySum/s.count)),
				lp.Int("latency_max", int64(s.latencyMax)),
				lp.Int("rcode", int64(k.rcode)),
			},
			Time: t,
		})
	})
	return pts
}

// Add adds one record: the DNS exchanges of the sink (stream.Aggregator).
func (a *Aggregator) Add(r l7.Record) {
	if x, ok := r.(*l7.DNSExchange); ok {
		a.DNS(x)
	}
}
