// Package engine runs the L7 engine (collect.Collector) as a plugin of its
// own, so that no source owns it: netflow's socket capture, netlog's
// packets and later the TLS uprobes all hand it events, each under its
// l7.Source. It keeps the clock (timeouts, idle eviction), routes "stop
// capturing this socket" back to the source that captured it, and writes
// every enabled protocol's points each interval.
//
// Lifecycle: it starts before its sources and stops after them (run.go
// stops plugins in reverse), so the last events of a source are in the
// final flush.
package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/collect"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Config configures the Engine.
type Config struct {
	collect.Config
	// Interval is the flush period of the protocols' points.
	Interval time.Duration
	// Tags are added to every point (host, --tags).
	Tags []lp.Tag
}

// advanceEvery: DNS timeouts and idle eviction.
const advanceEvery = time.Second

// Engine is the shared L7 engine. Handle is safe for concurrent use by
// every source.
type Engine struct {
	*collect.Collector
	cfg  Config
	sink deliver.Sink

	mu      sync.Mutex
	sources map[l7.Source]func(sockID uint64, v l7.Verdict)

	points atomic.Uint64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an Engine writing to sink.
func New(cfg Config, sink deliver.Sink) *Engine {
	e := &Engine{cfg: cfg, sink: sink, sources: map[l7.Source]func(uint64, l7.Verdict){}}
	user := cfg.Stream.Verdict
	cfg.Stream.Verdict = func(id uint64, src l7.Source, v l7.Verdict) {
		e.mu.Lock()
		fn := e.sources[src]
		e.mu.Unlock()
		if fn != nil {
			fn(id, v)
		}
		if user != nil {
			user(id, src, v)
		}
	}
	e.Collector = collect.New(cfg.Config)
	return e
}

// Source registers how source src acts on the engine's verdicts on its
// sockets (netflow: the kernel's l7_verdicts map). verdict may be nil.
func (e *Engine) Source(src l7.Source, verdict func(sockID uint64, v l7.Verdict)) {
	e.mu.Lock()
	e.sources[src] = verdict
	e.mu.Unlock()
}

// Points counts the points written so far (self-metrics).
func (e *Engine) Points() uint64 { return e.points.Load() }

// Name is the plugin's name in the logs.
func (e *Engine) Name() string { return "l7-engine" }

// Load has nothing to load: the engine is userspace only.
func (e *Engine) Load() error { return nil }

// Start starts the clock and the flushes.
func (e *Engine) Start(ctx context.Context) error {
	ctx, e.cancel = context.WithCancel(ctx)
	e.wg.Add(1)
	go func() { defer e.wg.Done(); e.run(ctx) }()
	return nil
}

// Stop writes what is left.
func (e *Engine) Stop() error {
	if e.cancel != nil {
		e.cancel()
		e.wg.Wait()
	}
	return nil
}

// Close frees nothing.
func (e *Engine) Close() error { return nil }

func (e *Engine) run(ctx context.Context) {
	clock := time.NewTicker(advanceEvery)
	defer clock.Stop()
	flush := time.NewTicker(e.cfg.Interval)
	defer flush.Stop()
	for {
		select {
		case <-clock.C:
			e.Advance(MonotonicNs())
		case <-flush.C:
			e.flush()
		case <-ctx.Done():
			e.flush()
			return
		}
	}
}

// flush writes each measurement's points under its own input name.
func (e *Engine) flush() {
	byName := map[string][]lp.Point{}
	var order []string
	for _, pt := range e.Flush(time.Now()) {
		pt.Tags = append(pt.Tags, e.cfg.Tags...)
		if byName[pt.Name] == nil {
			order = append(order, pt.Name)
		}
		byName[pt.Name] = append(byName[pt.Name], pt)
	}
	if r, ok := e.cfg.Stage.(interface{ Reset() }); ok {
		r.Reset() // cached enrichment lives one interval
	}
	for _, name := range order {
		pts := byName[name]
		e.points.Add(uint64(len(pts)))
		category, plugin := "network", "ebpf-net"
		if m, ok := measure.Lookup(name); ok {
			category, plugin = m.Category, m.Plugin
		}
		e.sink.Write(category, plugin+"/"+name, pts)
	}
}

// TableDrops sums what the engine's bounds refused.
func (e *Engine) TableDrops() uint64 {
	st := e.Stats()
	n := st.SocketsOverflow + st.PendingOverflow
	for _, v := range st.SeriesOverflow {
		n += v
	}
	return n
}

// MonotonicNs is bpf_ktime_get_ns's clock, the one event timestamps use.
func MonotonicNs() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}
