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
}

type key struct {
	conn  int32
	name  string
	rcode int
}

type stats struct{ count, latencySum, latencyMax uint64 }

// Aggregator sums exchanges until Flush. Not safe for concurrent use.
type Aggregator struct {
	cfg      Config
	conns    *conntags.Interner
	series   map[key]*stats
	overflow uint64
}

// New returns an Aggregator.
func New(cfg Config) *Aggregator {
	if cfg.MaxSeries <= 0 {
		cfg.MaxSeries = 10000
	}
	return &Aggregator{cfg: cfg, conns: conntags.New(cfg.Tags, cfg.MaxSeries), series: map[key]*stats{}}
}

// DNS adds one exchange.
func (a *Aggregator) DNS(x *l7.DNSExchange) {
	id := a.conns.ID(x.Conn)
	if id < 0 {
		a.overflow++
		return
	}
	k := key{id, x.Name, x.RCode}
	s := a.series[k]
	if s == nil {
		if len(a.series) >= a.cfg.MaxSeries {
			a.overflow++
			return
		}
		s = &stats{}
		a.series[k] = s
	}
	s.count++
	s.latencySum += x.LatencyNs
	s.latencyMax = max(s.latencyMax, x.LatencyNs)
}

// Overflow counts queries dropped because MaxSeries was reached.
func (a *Aggregator) Overflow() uint64 { return a.overflow }

// Flush returns the interval's points stamped t and starts a new interval.
func (a *Aggregator) Flush(t time.Time) []lp.Point {
	pts := make([]lp.Point, 0, len(a.series))
	for k, s := range a.series {
		tags := append(make([]lp.Tag, 0, 24), a.conns.Tags(k.conn)...)
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
	}
	clear(a.series)
	a.conns.Reset()
	return pts
}
