// Package netlog is the bpf-netlog plugin: packets captured with AF_PACKET
// on every interface of every network namespace, decoded without
// allocating, filtered by the netlog_blacklist rules, and turned into
// per-connection TCP logs (bpf_net_l4_log) and per-request HTTP logs
// (bpf_net_l7_log). See README.md.
package netlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
	"netobs.local/agent/filter"
)

// Config is what the plugin needs from the command line.
type Config struct {
	Blacklist string        // netlog_blacklist rules (filter language); empty: keep every packet
	Log       bool          // netlog_log: emit bpf_net_l4_log and bpf_net_l7_log
	Metric    bool          // netlog_metric: netflow and httpflow from packets (see README.md)
	Interval  time.Duration // chunk period of connection logs and self-metrics period
	Hostname  string
	Tags      []lp.Tag // global tags (--tags), added to every point
	ProcRoot  string   // /proc, or the host's proc from a container
	// ExcludeLoopback and IPv6Disabled drop packets with a loopback
	// address at either end, and IPv6 packets, before anything else.
	ExcludeLoopback, IPv6Disabled bool
	// EphemeralStart is the first ephemeral port: netflow and httpflow
	// client ports from here on are "*" (default 32768, Linux's).
	EphemeralStart uint16

	// Optional; zero values take the defaults.
	NetnsDir      string        // `ip netns` mounts, default /run/netns
	Netns         []string      // capture only these namespace files (tests, debugging)
	Discover      time.Duration // namespace rediscovery period, default 10s
	ChunkSegments int           // packets per chunk before it is cut, default 4096
	Linger        time.Duration // a closed connection's wait for its last ACKs, default 1s
	Tick          time.Duration // how often chunks are checked and points sent, default 1s
}

// Plugin is the bpf-netlog collector. Lifecycle: New, Load, Start, Stop, Close.
type Plugin struct {
	cfg   Config
	sink  deliver.Sink
	log   *slog.Logger
	rules *filter.Rules
	stats counters
	// lastTableDrops is the metric path's cumulative overflow at the last self point.
	lastTableDrops uint64

	// netlog_metric only
	metrics   *metrics
	listeners *flowtags.Listeners
	builder   flowtags.Builder

	mu       sync.Mutex
	captures map[nsID]context.CancelFunc
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New returns an unloaded plugin.
func New(cfg Config, sink deliver.Sink, log *slog.Logger) *Plugin {
	if cfg.NetnsDir == "" {
		cfg.NetnsDir = "/run/netns"
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = "/proc"
	}
	if cfg.Discover <= 0 {
		cfg.Discover = 10 * time.Second
	}
	if cfg.ChunkSegments <= 0 {
		cfg.ChunkSegments = 4096
	}
	if cfg.Linger <= 0 {
		cfg.Linger = time.Second
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.EphemeralStart == 0 {
		cfg.EphemeralStart = 32768
	}
	p := &Plugin{cfg: cfg, sink: sink, log: log, captures: map[nsID]context.CancelFunc{}}
	if cfg.Metric {
		p.builder = flowtags.Builder{EphemeralStart: cfg.EphemeralStart}
		p.listeners = flowtags.NewListeners(cfg.ProcRoot)
		p.metrics = newMetrics(p.builder, p.baseTags())
	}
	return p
}

// Name is the plugin name of --enabled.
func (p *Plugin) Name() string { return "bpf-netlog" }

// Load compiles the blacklist: rules that do not compile stop the plugin
// with every error, rather than run it unfiltered.
func (p *Plugin) Load() error {
	if !p.cfg.Log && !p.cfg.Metric {
		return errors.New("bpf-netlog: both netlog_log and netlog_metric are off; enable one (--netlog-log, --netlog-metric)")
	}
	if p.cfg.Blacklist != "" {
		rules, err := filter.Compile(p.cfg.Blacklist, filter.Netlog)
		if err != nil {
			return fmt.Errorf("bpf-netlog: netlog_blacklist does not compile:\n%w", err)
		}
		p.rules = rules
	}
	return nil
}

// Start captures in every namespace found now, and in those found later.
func (p *Plugin) Start(ctx context.Context) error {
	ctx, p.cancel = context.WithCancel(ctx)
	p.refreshListeners()
	if err := p.discover(ctx); err != nil {
		p.cancel()
		return err
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.loop(ctx) }()
	return nil
}

// Stop ends every capture; each emits what it holds before it returns.
func (p *Plugin) Stop() error {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	p.flushMetrics(time.Now())
	p.selfPoint(time.Now())
	return nil
}

// Close has nothing left to free: sockets close when their capture ends.
func (p *Plugin) Close() error { return nil }

func (p *Plugin) loop(ctx context.Context) {
	disc := time.NewTicker(p.cfg.Discover)
	defer disc.Stop()
	self := time.NewTicker(p.cfg.Interval)
	defer self.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-disc.C:
			if err := p.discover(ctx); err != nil {
				p.log.Warn("bpf-netlog: namespace discovery", "err", err)
			}
		case now := <-self.C:
			p.flushMetrics(now)
			p.refreshListeners()
			p.selfPoint(now)
		}
	}
}

// discover starts captures in new namespaces and stops those of
// namespaces that are gone (our socket would otherwise keep them alive).
func (p *Plugin) discover(ctx context.Context) error {
	found, err := discoverNetns(p.cfg.ProcRoot, p.cfg.NetnsDir, p.cfg.Netns)
	if err != nil {
		return fmt.Errorf("bpf-netlog: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	alive := map[nsID]bool{}
	var errs []error
	for _, ns := range found {
		alive[ns.id()] = true
		if _, ok := p.captures[ns.id()]; ok {
			continue
		}
		if err := p.startCapture(ctx, ns); err != nil {
			errs = append(errs, err)
		}
	}
	for id, stop := range p.captures {
		if !alive[id] {
			stop()
			delete(p.captures, id)
		}
	}
	if len(errs) > 0 && len(p.captures) == 0 {
		return fmt.Errorf("bpf-netlog: no namespace could be captured: %w", errors.Join(errs...))
	}
	for _, err := range errs {
		p.log.Warn("bpf-netlog: capture", "err", err)
	}
	return nil
}

func (p *Plugin) startCapture(ctx context.Context, ns netns) error {
	lim := limits{interval: p.cfg.Interval, chunkSegments: uint64(p.cfg.ChunkSegments), linger: p.cfg.Linger,
		idle: 2 * p.cfg.Interval, maxConns: 1 << 16}
	trk := newTracker(ns, p.baseTags(), lim, p.cfg.Log)
	c, err := newCapture(ns, p.rules, trk, &p.stats, p.emit, p.cfg.Tick, p.log)
	if err != nil {
		return err
	}
	c.excludeLoopback, c.ipv6Disabled = p.cfg.ExcludeLoopback, p.cfg.IPv6Disabled
	if p.cfg.Metric {
		c.meter = newMeter(ns, lim, p.builder, p.listeners, func() (map[netip.Addr]bool, error) { return interfaceAddrs(ns) })
		c.meter.refreshLocal(time.Now())
		c.metrics = p.metrics
	}
	cctx, cancel := context.WithCancel(ctx)
	p.captures[ns.id()] = cancel
	p.wg.Add(1)
	go func() { defer p.wg.Done(); c.run(cctx) }()
	p.log.Debug("bpf-netlog: capturing", "netns", ns.tag(), "path", ns.path, "host", ns.host)
	return nil
}

// baseTags are the host and global tags of every point.
func (p *Plugin) baseTags() []lp.Tag {
	return append([]lp.Tag{{Key: "host", Value: p.cfg.Hostname}}, p.cfg.Tags...)
}

// refreshListeners rereads the listening ports, by which the direction of
// UDP flows and of connections seen mid-stream is decided.
func (p *Plugin) refreshListeners() {
	if p.listeners == nil {
		return
	}
	if err := p.listeners.Refresh(); err != nil {
		p.log.Warn("bpf-netlog: listening ports", "err", err)
	}
}

// flushMetrics writes the interval's netflow and httpflow (netlog_metric).
func (p *Plugin) flushMetrics(now time.Time) {
	if p.metrics == nil {
		return
	}
	netflow, http := p.metrics.flush(now)
	p.stats.points.Add(uint64(len(netflow) + len(http)))
	if len(netflow) > 0 {
		p.sink.Write("network", "bpf-netlog/"+measure.Netflow.Name, netflow)
	}
	if len(http) > 0 {
		p.sink.Write("network", "bpf-netlog/"+measure.Httpflow.Name, http)
	}
}

func (p *Plugin) emit(l4, l7 []lp.Point) {
	if len(l4) > 0 {
		p.sink.Write("logging", "bpf-netlog/"+measure.NetL4Log.Name, l4)
	}
	if len(l7) > 0 {
		p.sink.Write("logging", "bpf-netlog/"+measure.NetL7Log.Name, l7)
	}
}

// tableDrops is the period's count of flows and series the metric path's
// bounded tables refused.
func (p *Plugin) tableDrops() uint64 {
	if p.metrics == nil {
		return 0
	}
	total := p.metrics.overflows()
	d := total - p.lastTableDrops
	p.lastTableDrops = total
	return d
}

// selfPoint reports the counters of the period as datakit_ebpf.
func (p *Plugin) selfPoint(now time.Time) {
	s := &p.stats
	pt := lp.Point{
		Name: measure.Collector.Name,
		Tags: append([]lp.Tag{{Key: "host", Value: p.cfg.Hostname}, {Key: "plugin", Value: p.Name()}}, p.cfg.Tags...),
		Fields: []lp.Field{
			lp.Int("events", int64(s.packets.Swap(0))),
			lp.Int("decode_errors", int64(s.decodeErrors.Swap(0))),
			lp.Int("kernel_drops", int64(s.kernelDrops.Swap(0))),
			lp.Int("map_full_drops", int64(s.connDrops.Swap(0))),
			lp.Int("points", int64(s.points.Swap(0))),
			lp.Int("table_drops", int64(p.tableDrops())),
		},
		Time: now,
	}
	p.sink.Write("metric", "bpf-netlog/"+measure.Collector.Name, []lp.Point{pt})
}
