// Package collect wires the L7 path together for the collector: capture
// events go through a stream.Tracker into the httpflow and dnsflow
// aggregators, and DNS answers fill the domain cache that netflow and
// httpflow use for dst_domain. It is the one type the BPF side talks to.
package collect

import (
	"strconv"
	"sync"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dnsflow"
	"netobs.local/agent/externals/ebpf/internal/l7/domains"
	"netobs.local/agent/externals/ebpf/internal/l7/httpflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Config configures a Collector. Zero fields take defaults.
type Config struct {
	Stream stream.Config
	// HTTP turns httpflow on (l7net_enabled = ["httpflow"]), DNS dnsflow
	// and the domain cache it fills (--dnsflow).
	HTTP, DNS bool
	// MaxSeries bounds each measurement's series per interval.
	MaxSeries int
	// DomainCacheSize bounds the address-to-domain cache (default 8192).
	DomainCacheSize int
	// Tags builds connection tags; default FlowTags with the usual
	// ephemeral port start 32768.
	Tags l7.TagFunc
}

// Collector is safe for concurrent use: the reader goroutine calls Handle,
// a ticker calls Advance and Flush.
type Collector struct {
	mu      sync.Mutex
	tracker *stream.Tracker
	http    *httpflow.Aggregator // nil when httpflow is off
	dns     *dnsflow.Aggregator  // nil when dnsflow is off
	domains *domains.Cache
}

// New returns a Collector.
func New(cfg Config) *Collector {
	if cfg.Tags == nil {
		cfg.Tags = FlowTags(flowtags.Builder{EphemeralStart: 32768})
	}
	if cfg.DomainCacheSize <= 0 {
		cfg.DomainCacheSize = 8192
	}
	c := &Collector{domains: domains.New(cfg.DomainCacheSize)}
	if cfg.DNS {
		c.dns = dnsflow.New(dnsflow.Config{Tags: cfg.Tags, MaxSeries: cfg.MaxSeries})
	}
	if cfg.HTTP {
		c.http = httpflow.New(httpflow.Config{Tags: cfg.Tags, Domains: c.domains, MaxSeries: cfg.MaxSeries})
	}
	c.tracker = stream.New(cfg.Stream, (*sink)(c))
	return c
}

// FlowTags adapts flowtags to l7.TagFunc, adding pid and process_name.
func FlowTags(b flowtags.Builder) l7.TagFunc {
	return func(dst []lp.Tag, c l7.ConnInfo) []lp.Tag {
		f := flowtags.Flow{Transport: c.Proto.String(), Local: c.Local, Remote: c.Remote, Outgoing: c.Outgoing}
		dst = b.Build(f).Append(dst)
		return append(dst, lp.Tag{Key: "pid", Value: strconv.FormatUint(uint64(c.Pid), 10)}, lp.Tag{Key: "process_name", Value: c.Comm})
	}
}

// Handle processes one event.
func (c *Collector) Handle(ev *l7.Event) {
	c.mu.Lock()
	c.tracker.Handle(ev)
	c.mu.Unlock()
}

// HandleBatch processes events under one lock acquisition.
func (c *Collector) HandleBatch(evs []l7.Event) {
	c.mu.Lock()
	for i := range evs {
		c.tracker.Handle(&evs[i])
	}
	c.mu.Unlock()
}

// Advance moves the clock (CLOCK_MONOTONIC ns): DNS timeouts and idle
// socket eviction.
func (c *Collector) Advance(nowNs uint64) {
	c.mu.Lock()
	c.tracker.Advance(nowNs)
	c.mu.Unlock()
}

// Flush returns the interval's httpflow and dnsflow points stamped t.
func (c *Collector) Flush(t time.Time) []lp.Point {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pts []lp.Point
	if c.dns != nil {
		pts = c.dns.Flush(t)
	}
	if c.http != nil {
		pts = append(pts, c.http.Flush(t)...)
	}
	return pts
}

// Domains is the address-to-domain cache, for netflow's dst_domain.
func (c *Collector) Domains() *domains.Cache { return c.domains }

// Stats are the stream counters plus the series overflows.
type Stats struct {
	stream.Stats
	HTTPSeriesOverflow, DNSSeriesOverflow uint64
}

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Stats: c.tracker.Stats()}
	if c.dns != nil {
		s.DNSSeriesOverflow = c.dns.Overflow()
	}
	if c.http != nil {
		s.HTTPSeriesOverflow = c.http.Overflow()
	}
	return s
}

// sink routes the tracker's exchanges; the Collector's lock is held.
type sink Collector

func (s *sink) HTTP(x *l7.HTTPExchange) {
	if s.http != nil {
		s.http.HTTP(x)
	}
}

func (s *sink) DNS(x *l7.DNSExchange) {
	if s.dns == nil {
		return // DNS over TCP, seen by httpflow's capture of every TCP socket
	}
	if x.NAnswers > 0 {
		s.domains.Add(x.Name, x.Answers[:x.NAnswers]...)
	}
	s.dns.DNS(x)
}
