// Package collect is the L7 engine, shared by every source of payload
// (netflow's socket capture, netlog's packets, later TLS uprobes): events
// go through a stream.Tracker, whose registered protocols (l7/protocols)
// turn them into exchanges; every exchange goes through one Sink that fans
// out to the protocols' aggregators, to the domain cache that netflow and
// httpflow use for dst_domain, and to any other subscriber.
package collect

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/domains"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/dns"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Config configures a Collector. Zero fields take defaults.
type Config struct {
	Stream stream.Config
	// Protocols are those the engine may parse: the registry
	// (protocols.Default) unless set.
	Protocols []stream.Protocol
	// Enabled names the protocols parsed and aggregated into their
	// measurements ("http" is httpflow, l7net_enabled = ["httpflow"];
	// "dns" dnsflow, --dnsflow, and the domain cache it fills).
	Enabled []string
	// MaxSeries bounds each measurement's series per interval.
	MaxSeries int
	// DomainCacheSize bounds the address-to-domain cache (default 8192).
	DomainCacheSize int
	// Tags builds connection tags; default FlowTags with the usual
	// ephemeral port start 32768.
	Tags l7.TagFunc
	// Stage selects and enriches the aggregators' series at flush; nil
	// observes every process.
	Stage l7.Stage
}

// Collector is the L7 engine. It is safe for concurrent use: readers of
// every source call Handle, a ticker calls Advance and Flush.
type Collector struct {
	mu      sync.Mutex
	tracker *stream.Tracker
	sink    Sink
	aggs    []aggregator // in the order of the protocols
	domains *domains.Cache
}

type aggregator struct {
	name string
	stream.Aggregator
}

// New returns a Collector.
func New(cfg Config) *Collector {
	if cfg.Tags == nil {
		cfg.Tags = FlowTags(flowtags.Builder{EphemeralStart: 32768})
	}
	if cfg.DomainCacheSize <= 0 {
		cfg.DomainCacheSize = 8192
	}
	if cfg.Protocols == nil {
		cfg.Protocols = protocols.Default()
	}
	c := &Collector{domains: domains.New(cfg.DomainCacheSize)}
	cfg.Stream.Protocols = nil
	for _, p := range cfg.Protocols {
		if !slices.Contains(cfg.Enabled, p.Name) {
			continue
		}
		cfg.Stream.Protocols = append(cfg.Stream.Protocols, p)
		if p.Aggregate != nil {
			a := p.Aggregate(stream.AggregateConfig{Tags: cfg.Tags, Domains: c.domains, MaxSeries: cfg.MaxSeries, Stage: cfg.Stage})
			c.aggs = append(c.aggs, aggregator{p.Name, a})
			c.sink.Subscribe(p.Name, a.Add)
		}
	}
	if slices.Contains(cfg.Enabled, dns.Name) {
		c.sink.Subscribe(dns.Name, c.learnDomains)
	}
	c.tracker = stream.New(cfg.Stream, &c.sink)
	return c
}

// learnDomains fills the domain cache from DNS answers.
func (c *Collector) learnDomains(r l7.Record) {
	if x, ok := r.(*l7.DNSExchange); ok && x.NAnswers > 0 {
		c.domains.Add(x.Name, x.Answers[:x.NAnswers]...)
	}
}

// Subscribe adds a consumer of the records of protocol proto ("" for
// every protocol), called with the Collector's lock held.
func (c *Collector) Subscribe(proto string, fn func(l7.Record)) {
	c.mu.Lock()
	c.sink.Subscribe(proto, fn)
	c.mu.Unlock()
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

// Flush returns the interval's points of every enabled protocol, stamped t.
func (c *Collector) Flush(t time.Time) []lp.Point {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pts []lp.Point
	for _, a := range c.aggs {
		pts = append(pts, a.Flush(t)...)
	}
	return pts
}

// Domains is the address-to-domain cache, for netflow's dst_domain.
func (c *Collector) Domains() *domains.Cache { return c.domains }

// Stats are the stream counters plus the series overflows.
type Stats struct {
	stream.Stats
	// SeriesOverflow counts by protocol the records dropped at MaxSeries.
	SeriesOverflow map[string]uint64
}

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Stats: c.tracker.Stats(), SeriesOverflow: map[string]uint64{}}
	for _, a := range c.aggs {
		s.SeriesOverflow[a.name] += a.Overflow()
	}
	return s
}
