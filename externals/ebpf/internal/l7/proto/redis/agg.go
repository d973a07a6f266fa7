package redis

import (
	"net/netip"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/conntags"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

type key struct{ command, err string }

type stats struct {
	count, errors, latencySum, latencyMax, read, written uint64
	remote, server                                       netip.Addr
}

// agg sums exchanges per interval into redisflow points, one per
// (connection tags, command, error). Not safe for concurrent use.
type agg struct {
	cfg    stream.AggregateConfig
	series *conntags.Series[key, stats]
}

func newAgg(cfg stream.AggregateConfig) *agg {
	return &agg{cfg: cfg, series: conntags.NewSeries[key, stats](cfg.Tags, cfg.MaxSeries)}
}

func (a *agg) Add(r l7.Record) {
	x, ok := r.(*Exchange)
	if !ok {
		return
	}
	s, created := a.series.Get(x.Conn, key{x.Command, x.Error})
	if s == nil {
		return
	}
	if created {
		s.remote, s.server = x.Conn.Remote.Addr(), x.Conn.Server().Addr()
	}
	s.count++
	if x.Error != "" {
		s.errors++
	}
	s.latencySum += x.LatencyNs
	s.latencyMax = max(s.latencyMax, x.LatencyNs)
	s.read += x.BytesRead
	s.written += x.BytesWritten
}

func (a *agg) Overflow() uint64 { return a.series.Overflow() }

func (a *agg) Flush(t time.Time) []lp.Point {
	m := measure.Redisflow
	pts := make([]lp.Point, 0, a.series.Len())
	a.series.Flush(func(conn []lp.Tag, c l7.ConnInfo, k key, s *stats) {
		if a.cfg.Stage != nil && !a.cfg.Stage.Observe(c.Pid) {
			return
		}
		tags := append(make([]lp.Tag, 0, 40), conn...)
		if a.cfg.Stage != nil {
			tags = a.cfg.Stage.Enrich(tags, c)
		}
		tags = append(tags, lp.Tag{Key: "source", Value: m.Name},
			lp.Tag{Key: "dst_domain", Value: a.name(s.remote)},
			lp.Tag{Key: "server_domain", Value: a.name(s.server)})
		pts = append(pts, lp.Point{
			Name: m.Name,
			Tags: tags,
			Fields: []lp.Field{
				lp.Int("bytes_read", int64(s.read)),
				lp.Int("bytes_written", int64(s.written)),
				{Key: "command", Value: lineprotocol.MustNewValue(k.command)},
				lp.Int("count", int64(s.count)),
				{Key: "error", Value: lineprotocol.MustNewValue(k.err)},
				lp.Int("errors", int64(s.errors)),
				lp.Int("latency", int64(s.latencySum/s.count)),
				lp.Int("latency_max", int64(s.latencyMax)),
			},
			Time: t,
		})
	})
	return pts
}

// name returns the domain of addr, or "" (written as N/A).
func (a *agg) name(addr netip.Addr) string {
	if a.cfg.Domains == nil {
		return ""
	}
	n, _ := a.cfg.Domains.Lookup(addr)
	return n
}
