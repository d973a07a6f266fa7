// Package netflow is the ebpf-net plugin's L4 part: TCP connections and UDP
// flows counted in the kernel (bpf/netflow/netflow.c) and aggregated per
// interval into netflow points.
package netflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Config is what the plugin needs from the command line.
type Config struct {
	Interval        time.Duration
	EphemeralStart  uint16
	ExcludeLoopback bool
	IPv6Disabled    bool
	ProcRoot        string    // /proc, or the host's proc from a container
	HostRoot        string    // "/" or HOST_ROOT: where run/netns is (socket diagnostics)
	Tags            []lp.Tag  // host and --tags, added to every point
	Processes       Processes // process selection and tags; nil for none
	NAT             NAT       // DNAT destinations (ebpf-conntrack); nil for none
	L7              L7Config  // httpflow and dnsflow (l7.go)
	RecvPeers       RecvPeers // when the recv exits are attached (recvexits.go); "" is on-demand
	// UDP turns UDP flows on (--netflow-udp). With UDP, dnsflow and
	// httpflow all off, and the flush iterators available, no program
	// runs on sends and receives: TCP is counted at state changes and
	// flushes only.
	UDP bool
}

const (
	readDeadline = 20 * time.Millisecond // the longest a record waits without a wakeup
	wakeupBytes  = 64 << 10
	queueLen     = 8192
)

// Plugin is the loaded netflow collector. Lifecycle: Load, Start, Stop, Close.
type Plugin struct {
	cfg  Config
	sink deliver.Sink
	log  *slog.Logger

	objs     netflowObjects
	objects  loader.Stack // maps, programs, reader: closed by Close
	links    loader.Stack // attachments: closed by Stop
	reader   *ringbuf.Reader
	picked   map[string]way  // the way each hook is observed here (see plan)
	unneeded map[string]bool // hooks left out because nothing needs them
	iters    flushIters      // run at each flush; nil where the kernel lacks them
	diag     *sockDiag       // where the iterators are refused: the socket diagnostics (sockdiag.go)
	exits    *recvExits      // the recv exits, attached on demand (recvexits.go)

	stopWatch context.CancelFunc // the on-demand watcher of the exits
	watchDone sync.WaitGroup

	queue     chan netflowConnCloseEvent
	agg       *aggregator
	listeners *flowtags.Listeners
	self      selfStats
	l7        *l7Capture // nil when the capture is off

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an unloaded plugin.
func New(cfg Config, sink deliver.Sink, log *slog.Logger) *Plugin {
	if cfg.RecvPeers == "" {
		cfg.RecvPeers = RecvPeersOnDemand
	}
	listeners := flowtags.NewListeners(cfg.ProcRoot)
	agg := newAggregator(flowtags.Builder{EphemeralStart: cfg.EphemeralStart}, listeners)
	agg.procs, agg.nat = cfg.Processes, cfg.NAT
	l7 := newL7Capture(cfg.L7)
	agg.domains = l7.domains()
	return &Plugin{
		l7:  l7,
		cfg: cfg, sink: sink, log: log,
		queue:     make(chan netflowConnCloseEvent, queueLen),
		listeners: listeners,
		agg:       agg,
	}
}

// Name is the plugin name of --enabled.
func (p *Plugin) Name() string { return "ebpf-net" }

// Load loads the BPF objects with the configuration in their constants.
func (p *Plugin) Load() error {
	if p.l7 != nil && p.cfg.L7.Engine == nil {
		return errors.New("ebpf-net: httpflow or dnsflow on without an L7 engine")
	}
	spec, err := loadNetflow()
	if err != nil {
		return fmt.Errorf("ebpf-net: read embedded object: %w", err)
	}
	var stubbed []string
	p.picked, p.unneeded, stubbed = plan(spec, p.cfg.UDP || p.l7 != nil)
	if len(stubbed) > 0 {
		p.log.Debug("ebpf-net: programs not used on this kernel are loaded as stubs", "programs", stubbed)
	}
	atFlush, countedAtFlush := p.picked[tcpAtFlush]
	for name, v := range map[string]any{
		"wakeup_bytes": uint64(wakeupBytes), "exclude_loopback": p.cfg.ExcludeLoopback, "ipv6_disabled": p.cfg.IPv6Disabled,
		"have_task_pt_regs": features.Helper(ebpf.TracePoint, asm.FnTaskPtRegs).On,
		"udp_flows_on":      p.cfg.UDP,
		"counted_at_flush":  countedAtFlush,
		"adopt_on":          atFlush.kind == features.KindSockDiag,
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("ebpf-net: set %s: %w", name, err)
		}
	}
	if err := p.l7.configure(spec); err != nil {
		return fmt.Errorf("ebpf-net: %w", err)
	}
	if err := loadObjects(spec, &p.objs); err != nil {
		return err
	}
	p.objects.Push(&p.objs)
	p.reader, err = ringbuf.NewReader(p.objs.Events)
	if err != nil {
		p.objects.Close()
		return fmt.Errorf("ebpf-net: ring buffer reader: %w", err)
	}
	p.objects.Push(p.reader)
	if err := p.l7.open(&p.objs, &p.objects); err != nil {
		p.objects.Close()
		return fmt.Errorf("ebpf-net: %w", err)
	}
	return nil
}

// loadObjects loads spec into objs; an EPERM says what the probes found,
// not cilium/ebpf's memlock guess (see loader.LoadError).
func loadObjects(spec *ebpf.CollectionSpec, objs *netflowObjects) error {
	err := spec.LoadAndAssign(objs, nil)
	if err == nil {
		return nil
	}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("ebpf-net: the verifier rejected a program: %+v", ve)
	}
	return fmt.Errorf("ebpf-net: load BPF objects: %w", loader.LoadError(spec, err))
}

// Start attaches the programs and starts reading. Only the connection
// lifecycle hook is required; the others degrade what is reported.
func (p *Plugin) Start(ctx context.Context) error {
	for _, h := range Hooks() {
		if h.recvExit || p.unneeded[h.Event] {
			continue // with the others, below; or not at all
		}
		if err := p.attach(&p.links, h); err != nil {
			if h.Required {
				p.links.Close()
				return fmt.Errorf("ebpf-net: %w", err)
			}
			p.log.Warn("ebpf-net: degraded", "hook", h.Event, "without it", h.WithoutIt, "err", err)
		}
	}
	if w, ok := p.picked[tcpAtFlush]; ok {
		p.log.Info("ebpf-net: TCP counters and processes read at each flush", "way", "via "+w.String())
	}
	if len(p.unneeded) > 0 {
		p.log.Info("ebpf-net: nothing runs on sends and receives: no UDP flows, dnsflow or httpflow wanted")
	}
	// Connections established before we started, with their processes.
	if err := runIter(p.iters.attribute); err != nil {
		p.log.Warn("ebpf-net: find the connections already open", "err", err)
	}
	if p.diag != nil {
		p.objects.Push(p.diag)                        // after Stop: the last flush reads it
		if err := p.listeners.Refresh(); err != nil { // the direction of those older connections
			p.log.Warn("ebpf-net: listening ports", "err", err)
		}
		_, conns := p.readConns()
		tracked := make(map[diagKey]bool, len(conns))
		for i := range conns {
			tracked[keyOf(&conns[i])] = true
		}
		if err := p.diag.start(tracked, p.agg); err != nil {
			p.log.Warn("ebpf-net: find the connections already open", "err", err)
		}
	}
	p.exits = &recvExits{p: p}
	p.links.Push(closerFunc(p.exits.detach))
	exits := p.cfg.RecvPeers
	if p.unneeded["socket receives"] {
		exits = RecvPeersOff
	}
	if exits == RecvPeersAlways {
		if err := p.exits.attach(); err != nil {
			p.log.Warn("ebpf-net: degraded: UDP peers of unconnected receives unknown", "err", err)
		}
	}
	if err := p.listeners.Refresh(); err != nil {
		p.log.Warn("ebpf-net: listening ports", "err", err)
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.readLoop(ctx) }()
	go func() { defer p.wg.Done(); p.runLoop(ctx) }()
	if exits == RecvPeersOnDemand {
		var watchCtx context.Context
		watchCtx, p.stopWatch = context.WithCancel(ctx)
		p.watchDone.Add(1)
		go func() { defer p.watchDone.Done(); p.exits.watch(watchCtx, p.log) }()
	}
	p.l7.start(ctx, p)
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// Stop detaches the programs, then reads and reports what is left, so
// connections closed since the last flush are not lost.
func (p *Plugin) Stop() error {
	if p.stopWatch != nil { // before the links: it attaches some
		p.stopWatch()
		p.watchDone.Wait()
	}
	err := p.links.Close()
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	return err
}

// Close frees the maps, programs and reader.
func (p *Plugin) Close() error { return p.objects.Close() }

// readLoop moves ring-buffer records into the queue.
func (p *Plugin) readLoop(ctx context.Context) {
	loader.ReadRing(ctx, p.reader, readDeadline, func(rec []byte) {
		p.self.events.Add(1)
		ev, err := decodeRecord(rec)
		if err != nil {
			p.self.decodeErrors.Add(1)
			return
		}
		select {
		case p.queue <- ev:
		default:
			p.self.queueDrops.Add(1)
		}
	}, func(err error) { p.log.Error("ebpf-net: ring buffer", "err", err) })
}

func (p *Plugin) runLoop(ctx context.Context) {
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case ev := <-p.queue:
			p.agg.closedConn(&ev)
		case <-tick.C:
			p.flush()
		case <-ctx.Done():
			p.flush()
			return
		}
	}
}

// flush drains the queue, reads the live counters and emits the interval.
func (p *Plugin) flush() {
	now := time.Now()
	for drained := false; !drained; {
		select {
		case ev := <-p.queue:
			p.agg.closedConn(&ev)
		default:
			drained = true
		}
	}
	// The direction of a UDP flow, or of a TCP connection older than the
	// collector, comes from the listening ports. Where the iterators run,
	// those older connections are all found at the start, so without UDP
	// the ports read then are enough: /proc/net/tcp walks the whole
	// established hash table, 17 ms of CPU a flush here.
	if _, atFlush := p.picked[tcpAtFlush]; p.cfg.UDP || !atFlush {
		if err := p.listeners.Refresh(); err != nil {
			p.log.Warn("ebpf-net: listening ports", "err", err)
		}
	}
	p.flushConns()
	p.flushUDP()
	pts := p.agg.flush(now, p.cfg.Tags)
	p.self.points.Add(uint64(len(pts)))
	p.sink.Write("network", "ebpf-net/netflow", pts)
	p.sink.Write("metric", "ebpf-net/datakit_ebpf", []lp.Point{p.selfPoint(now)})
}

// flushConns reports the live connections. With the flush iterators,
// their counters are read now, and those without a process yet (accepted
// since the last flush) are looked up among the open files first.
func (p *Plugin) flushConns() {
	if err := runIter(p.iters.refresh); err != nil {
		p.log.Warn("ebpf-net: read the counters of live connections", "err", err)
	}
	sks, conns := p.readConns()
	if p.diag != nil {
		var err error
		if sks, conns, err = p.diag.refresh(sks, conns, p.agg.hasOwner); err != nil {
			p.log.Warn("ebpf-net: read the counters of live connections (socket diagnostics)", "err", err)
		}
	}
	unowned := slices.ContainsFunc(conns, func(c netflowConn) bool { return c.Pid == 0 })
	if unowned && p.iters.attribute != nil {
		if err := runIter(p.iters.attribute); err != nil {
			p.log.Warn("ebpf-net: find the processes of accepted connections", "err", err)
		}
		for i := range conns {
			if conns[i].Pid == 0 {
				_ = p.objs.Conns.Lookup(&sks[i], &conns[i]) // gone: closed since, reported by its close event
			}
		}
	}
	for i := range conns {
		p.agg.live(sks[i], &conns[i])
	}
}

// readConns reads the conns map.
func (p *Plugin) readConns() (sks []uint64, conns []netflowConn) {
	var sk uint64
	var c netflowConn
	it := p.objs.Conns.Iterate()
	for it.Next(&sk, &c) {
		conns, sks = append(conns, c), append(sks, sk)
	}
	if err := it.Err(); err != nil {
		p.log.Warn("ebpf-net: iterate conns", "err", err)
	}
	return sks, conns
}

func (p *Plugin) flushUDP() {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // bpf_ktime_get_ns's clock
	idleBefore := uint64(ts.Nano()) - uint64(3*p.cfg.Interval)
	var k netflowUdpKey
	var s netflowUdpStats
	var stale []netflowUdpKey
	it := p.objs.UdpFlows.Iterate()
	for it.Next(&k, &s) {
		if p.agg.udp(&k, &s, s.LastNs < idleBefore) {
			stale = append(stale, k)
		}
	}
	for i := range stale {
		_ = p.objs.UdpFlows.Delete(&stale[i])
	}
}
