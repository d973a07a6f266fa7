// Package httpflow aggregates HTTP exchanges into httpflow points, one per
// interval per (connection tags, method, path, status_code, http_version,
// truncated). Latency is the mean TTFB of the group.
package httpflow

import (
	"net/netip"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/conntags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Resolver names addresses (domains.Cache).
type Resolver interface {
	Lookup(netip.Addr) (string, bool)
}

// Config configures an Aggregator.
type Config struct {
	// Tags builds the connection-level tags; required.
	Tags l7.TagFunc
	// Domains, if set, fills dst_domain and server_domain.
	Domains Resolver
	// MaxSeries bounds the series per interval (default 10000); exchanges
	// of further series are counted in Overflow.
	MaxSeries int
	// Stage, if set, selects and enriches each series at flush.
	Stage l7.Stage
}

type key struct {
	method, path  string
	version       string
	status        int
	pathTruncated bool
}

type stats struct {
	count, latencySum, read, written uint64
	remote, server                   netip.Addr
}

// Aggregator sums exchanges until Flush. Not safe for concurrent use.
type Aggregator struct {
	cfg    Config
	series *conntags.Series[key, stats]
}

// New returns an Aggregator.
func New(cfg Config) *Aggregator {
	return &Aggregator{cfg: cfg, series: conntags.NewSeries[key, stats](cfg.Tags, cfg.MaxSeries)}
}

// HTTP adds one exchange.
func (a *Aggregator) HTTP(x *l7.HTTPExchange) {
	s, created := a.series.Get(x.Conn, key{x.Method, x.Path, x.Version, x.Status, x.PathTruncated})
	if s == nil {
		return
	}
	if created {
		s.remote, s.server = x.Conn.Remote.Addr(), x.Conn.Server().Addr()
	}
	s.count++
	s.latencySum += x.LatencyNs
	s.read += x.BytesRead
	s.written += x.BytesWritten
}

// Overflow counts exchanges dropped because MaxSeries was reached.
func (a *Aggregator) Overflow() uint64 { return a.series.Overflow() }

// Flush returns the interval's points stamped t and starts a new interval.
func (a *Aggregator) Flush(t time.Time) []lp.Point {
	pts := make([]lp.Point, 0, a.series.Len())
	a.series.Flush(func(conn []lp.Tag, c l7.ConnInfo, k key, s *stats) {
		if a.cfg.Stage != nil && !a.cfg.Stage.Observe(c.Pid) {
			return
		}
		tags := append(make([]lp.Tag, 0, 40), conn...)
		if a.cfg.Stage != nil {
			tags = a.cfg.Stage.Enrich(tags, c)
		}
		tags = append(tags, lp.Tag{Key: "source", Value: measure.Httpflow.Name},
			lp.Tag{Key: "dst_domain", Value: a.name(s.remote)},
			lp.Tag{Key: "server_domain", Value: a.name(s.server)})
		pts = append(pts, lp.Point{
			Name: measure.Httpflow.Name,
			Tags: tags,
			Fields: []lp.Field{
				lp.Int("bytes_read", int64(s.read)),
				lp.Int("bytes_written", int64(s.written)),
				lp.Int("count", int64(s.count)),
				{Key: "http_version", Value: lineprotocol.MustNewValue(k.version)},
				lp.Int("latency", int64(s.latencySum/s.count)),
				{Key: "method", Value: lineprotocol.MustNewValue(k.method)},
				{Key: "path", Value: lineprotocol.MustNewValue(k.path)},
				lp.Int("status_code", int64(k.status)),
				{Key: "truncated", Value: lineprotocol.BoolValue(k.pathTruncated)},
			},
			Time: t,
		})
	})
	return pts
}

// name returns the domain of addr, or "" (written as N/A).
func (a *Aggregator) name(addr netip.Addr) string {
	if a.cfg.Domains == nil {
		return ""
	}
	n, _ := a.cfg.Domains.Lookup(addr)
	return n
}

// Add adds one record: the HTTP exchanges of the sink (stream.Aggregator).
func (a *Aggregator) Add(r l7.Record) {
	if x, ok := r.(*l7.HTTPExchange); ok && !x.Unanswered {
		a.HTTP(x)
	}
}
