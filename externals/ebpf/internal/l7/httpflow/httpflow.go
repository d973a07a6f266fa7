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
}

type key struct {
	conn          int32
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

// HTTP adds one exchange (it makes the Aggregator a stream.Sink half).
func (a *Aggregator) HTTP(x *l7.HTTPExchange) {
	id := a.conns.ID(x.Conn)
	if id < 0 {
		a.overflow++
		return
	}
	k := key{id, x.Method, x.Path, x.Version, x.Status, x.PathTruncated}
	s := a.series[k]
	if s == nil {
		if len(a.series) >= a.cfg.MaxSeries {
			a.overflow++
			return
		}
		s = &stats{remote: x.Conn.Remote.Addr(), server: x.Conn.Server().Addr()}
		a.series[k] = s
	}
	s.count++
	s.latencySum += x.LatencyNs
	s.read += x.BytesRead
	s.written += x.BytesWritten
}

// Overflow counts exchanges dropped because MaxSeries was reached.
func (a *Aggregator) Overflow() uint64 { return a.overflow }

// Flush returns the interval's points stamped t and starts a new interval.
func (a *Aggregator) Flush(t time.Time) []lp.Point {
	pts := make([]lp.Point, 0, len(a.series))
	for k, s := range a.series {
		tags := append(make([]lp.Tag, 0, 32), a.conns.Tags(k.conn)...)
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
	}
	clear(a.series)
	a.conns.Reset()
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
