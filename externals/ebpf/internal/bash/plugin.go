// Package bash is the ebpf-bash plugin: every line an interactive bash
// shell reads (bpf/bash/bash.c, a uretprobe on readline) becomes a `bash`
// log point with the command, pid and user.
package bash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// Observer decides whether a shell's lines are reported (process
// selection); nil reports every shell.
type Observer interface {
	Observe(pid uint32) bool
}

// Config is what the plugin needs from the command line.
type Config struct {
	Interval time.Duration
	ProcRoot string   // /proc, or the host's
	HostRoot string   // "/" or HOST_ROOT
	Tags     []lp.Tag // host and --tags
	Select   Observer
	// Execs tells of every exec on the host (the process cache): a bash
	// binary exec'ed from a new file is probed at once. Nil: /proc is
	// rescanned every rescanEvery instead.
	Execs Execs
}

// Execs publishes the host's execs and exits (proccache.Cache).
type Execs interface {
	Subscribe(fn func(proccache.Event))
}

const (
	rescanEvery = 5 * time.Second // without Execs: new bash binaries (a container started) are probed within this
	execQueue   = 64              // bash execs waiting for their binary to be probed
	flushLines  = 256             // flush early once this many lines wait
	queueLen    = 4096
)

// Plugin is the loaded ebpf-bash collector.
type Plugin struct {
	cfg   Config
	sink  deliver.Sink
	log   *slog.Logger
	users *users

	objs    bashObjects
	objects loader.Stack
	reader  *ringbuf.Reader

	mu       sync.Mutex
	links    map[fileID]link.Link
	failed   map[fileID]bool
	attached atomic.Int64

	queue                                 chan lp.Point
	execs                                 chan proccache.Info // bash execs to probe
	execsLost                             atomic.Bool         // the queue was full: rescan /proc
	events, decodeErrors, queueDrops, pts atomic.Uint64
	self                                  measure.SelfCounters

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an unloaded plugin.
func New(cfg Config, sink deliver.Sink, log *slog.Logger) *Plugin {
	return &Plugin{cfg: cfg, sink: sink, log: log, users: newUsers(cfg.ProcRoot, cfg.HostRoot),
		links: map[fileID]link.Link{}, failed: map[fileID]bool{}, queue: make(chan lp.Point, queueLen),
		execs: make(chan proccache.Info, execQueue)}
}

// Name is the plugin name of --enabled.
func (p *Plugin) Name() string { return "ebpf-bash" }

// Load loads the BPF object.
func (p *Plugin) Load() error {
	if err := loadBashObjects(&p.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("ebpf-bash: the verifier rejected a program: %+v", ve)
		}
		return fmt.Errorf("ebpf-bash: load BPF objects: %w", err)
	}
	p.objects.Push(&p.objs)
	var err error
	if p.reader, err = ringbuf.NewReader(p.objs.Events); err != nil {
		p.objects.Close()
		return fmt.Errorf("ebpf-bash: ring buffer reader: %w", err)
	}
	p.objects.Push(p.reader)
	return nil
}

// Start probes the bash binaries in use and keeps looking for new ones:
// at each exec of a bash (Execs), else by rescanning /proc.
func (p *Plugin) Start(ctx context.Context) error {
	if p.cfg.Execs != nil {
		p.cfg.Execs.Subscribe(p.exec)
	}
	p.attach(findBinaries(p.cfg.ProcRoot, p.cfg.HostRoot))
	if p.attached.Load() == 0 {
		p.log.Warn("ebpf-bash: no bash binary found yet; probing new ones as they are exec'ed")
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.readLoop(ctx) }()
	go func() { defer p.wg.Done(); p.runLoop(ctx) }()
	return nil
}

// Stop detaches every probe and reports the lines still queued.
func (p *Plugin) Stop() error {
	p.mu.Lock()
	var errs []error
	for id, l := range p.links {
		errs = append(errs, l.Close())
		delete(p.links, id)
	}
	p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	return errors.Join(errs...)
}

// Close frees the maps, program and reader.
func (p *Plugin) Close() error { return p.objects.Close() }

// exec hears of an exec (on the process cache's reader: it must not
// block); a bash's binary is probed by the run loop.
func (p *Plugin) exec(e proccache.Event) {
	if e.Kind != proccache.Exec || !isBash(e.Info.Path) {
		return
	}
	select {
	case p.execs <- e.Info:
	default:
		p.execsLost.Store(true) // probed at the next interval, by a rescan
	}
}

// attach probes the binaries not probed yet. A binary without a readline
// symbol (stripped of it, or a bash linked to a shared libreadline) is
// noted once and skipped.
func (p *Plugin) attach(binaries map[fileID]string) {
	for id, path := range binaries {
		p.mu.Lock()
		_, done := p.links[id]
		done = done || p.failed[id]
		p.mu.Unlock()
		if done {
			continue
		}
		l, err := uretprobe(path, p.objs.OnReadlineReturn)
		p.mu.Lock()
		if err != nil {
			p.failed[id] = true
			p.log.Warn("ebpf-bash: cannot probe a bash binary", "path", path, "err", err)
		} else {
			p.links[id] = l
			p.attached.Add(1)
			p.log.Info("ebpf-bash: probing readline", "path", path)
		}
		p.mu.Unlock()
	}
}

func uretprobe(path string, prog *ebpf.Program) (link.Link, error) {
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, err
	}
	return ex.Uretprobe("readline", prog, nil)
}

// readLoop: records wake the reader at once (every line is worth it);
// the wait only bounds how long Stop waits for this loop.
func (p *Plugin) readLoop(ctx context.Context) {
	loader.ReadRing(ctx, p.reader, 100*time.Millisecond, func(rec []byte) {
		p.events.Add(1)
		l, err := decodeEvent(rec)
		if err != nil {
			p.decodeErrors.Add(1)
			return
		}
		if p.cfg.Select != nil && !p.cfg.Select.Observe(l.pid) {
			return
		}
		select {
		case p.queue <- p.point(&l, time.Now()):
		default:
			p.queueDrops.Add(1)
		}
	}, func(err error) { p.log.Error("ebpf-bash: ring buffer", "err", err) })
}

func (p *Plugin) point(l *line, now time.Time) lp.Point {
	user := p.users.name(l.pid, l.uid)
	cmd := l.cmd
	if l.cut {
		cmd += "..."
	}
	msg := fmt.Sprintf("%s %s[%d] %s: %s", now.Format(time.RFC3339), l.comm, l.pid, user, cmd)
	return lp.Point{Name: measure.Bash.Name, Time: now, Tags: append([]lp.Tag(nil), p.cfg.Tags...), Fields: []lp.Field{
		str("cmd", cmd), str("message", msg), str("pid", fmt.Sprint(l.pid)), str("user", user)}}
}

func str(k, v string) lp.Field { return lp.Field{Key: k, Value: lineprotocol.MustNewValue(v)} }

func (p *Plugin) runLoop(ctx context.Context) {
	tick := time.NewTicker(p.cfg.Interval)
	var rescan <-chan time.Time // without Execs
	if p.cfg.Execs == nil {
		t := time.NewTicker(rescanEvery)
		defer t.Stop()
		rescan = t.C
	}
	defer tick.Stop()
	var pending []lp.Point
	flush := func() {
		if len(pending) > 0 {
			p.pts.Add(uint64(len(pending)))
			p.sink.Write(measure.Bash.Category, "ebpf-bash/bash", pending)
			pending = nil
		}
	}
	for {
		select {
		case pt := <-p.queue:
			if pending = append(pending, pt); len(pending) >= flushLines {
				flush()
			}
		case <-rescan:
			p.attach(findBinaries(p.cfg.ProcRoot, p.cfg.HostRoot))
		case info := <-p.execs:
			p.attach(execBinary(p.cfg.ProcRoot, info))
		case now := <-tick.C:
			if p.execsLost.Swap(false) {
				p.attach(findBinaries(p.cfg.ProcRoot, p.cfg.HostRoot))
			}
			flush()
			p.sink.Write("metric", "ebpf-bash/datakit_ebpf", []lp.Point{p.selfPoint(now)})
		case <-ctx.Done():
			for drained := false; !drained; {
				select {
				case pt := <-p.queue:
					pending = append(pending, pt)
				default:
					drained = true
				}
			}
			flush()
			return
		}
	}
}

func (p *Plugin) selfPoint(now time.Time) lp.Point {
	var runs, ns uint64
	if st, err := p.objs.OnReadlineReturn.Stats(); err == nil {
		runs, ns = st.RunCount, uint64(st.Runtime)
	}
	var drops uint64
	var perCPU []uint64
	if p.objs.Drops.Lookup(uint32(0), &perCPU) == nil {
		for _, v := range perCPU {
			drops += v
		}
	}
	cur := map[string]uint64{"events": p.events.Load(), "decode_errors": p.decodeErrors.Load(),
		"queue_drops": p.queueDrops.Load(), "points": p.pts.Load(), "kernel_drops": drops,
		"bpf_run_count": runs, "bpf_run_time_ns": ns}
	return p.self.Point(p.Name(), p.cfg.Tags, now, cur)
}
