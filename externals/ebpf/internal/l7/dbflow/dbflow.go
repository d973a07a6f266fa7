// Package dbflow aggregates the exchanges of the database and cache
// protocols (proto/redis, proto/pgsql...) into their measurement's points,
// one per interval per (connection tags, operation, error): the command
// or statement kind, and the error class (a Redis error prefix, an
// SQLSTATE). Each protocol names its measurement and the two fields.
package dbflow

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

// Exchange is one request and its answer, seen from one side.
type Exchange struct {
	l7.Exchange
	// Op is the interned command name or statement kind (GET, SELECT...).
	Op string
	// Error is the interned error class, empty when the answer is not an
	// error.
	Error string
	// LatencyNs runs from the last event carrying the request to the
	// first carrying its answer.
	LatencyNs uint64
	// BytesRead and BytesWritten are the local process's bytes of the
	// request and its answer.
	BytesRead, BytesWritten uint64
}

// Fields names a measurement's operation and error fields.
type Fields struct{ Op, Error string }

type key struct{ op, err string }

type stats struct {
	count, errors, latencySum, latencyMax, read, written uint64
	remote, server                                       netip.Addr
}

// agg sums exchanges per interval into m's points. Not safe for
// concurrent use.
type agg struct {
	cfg    stream.AggregateConfig
	m      *measure.Measurement
	f      Fields
	series *conntags.Series[key, stats]
}

// New returns the aggregator of measurement m, whose string fields f
// hold the operation and the error.
func New(cfg stream.AggregateConfig, m *measure.Measurement, f Fields) stream.Aggregator {
	return &agg{cfg: cfg, m: m, f: f, series: conntags.NewSeries[key, stats](cfg.Tags, cfg.MaxSeries)}
}

func (a *agg) Add(r l7.Record) {
	x, ok := r.(*Exchange)
	if !ok {
		return
	}
	s, created := a.series.Get(x.Conn, key{x.Op, x.Error})
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
	m := a.m
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
				lp.Int("count", int64(s.count)),
				lp.Int("errors", int64(s.errors)),
				lp.Int("latency", int64(s.latencySum/s.count)),
				lp.Int("latency_max", int64(s.latencyMax)),
				{Key: a.f.Op, Value: lineprotocol.MustNewValue(k.op)},
				{Key: a.f.Error, Value: lineprotocol.MustNewValue(k.err)},
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
