package conntrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/netlink"
	ct "github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"
	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/hostns"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Config is what the plugin needs from the command line.
type Config struct {
	Interval time.Duration
	ProcRoot string   // /proc, or the host's
	HostRoot string   // "/" or HOST_ROOT: where run/netns is
	Tags     []lp.Tag // host and --tags, for the self-metrics point
}

const (
	maxEntries = 1 << 17
	rescan     = 2 * time.Second // new namespaces are watched within this
	eventQueue = 4096
)

// Plugin watches conntrack in every network namespace and fills Table.
// Lifecycle: Load, Start, Stop, Close; start it before ebpf-net.
type Plugin struct {
	*Table
	cfg  Config
	sink deliver.Sink
	log  *slog.Logger

	mu        sync.Mutex
	listeners map[uint32]*listener

	events, errors atomic.Uint64
	self           measure.SelfCounters

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns the plugin; its table answers DstNAT for netflow.
func New(cfg Config, sink deliver.Sink, log *slog.Logger) *Plugin {
	return &Plugin{Table: NewTable(maxEntries, 2*cfg.Interval+5*time.Second), cfg: cfg, sink: sink, log: log,
		listeners: map[uint32]*listener{}}
}

// Name is the plugin name of --enabled.
func (p *Plugin) Name() string { return "ebpf-conntrack" }

// Load checks that conntrack's netlink interface answers here.
func (p *Plugin) Load() error {
	c, err := ct.Dial(nil)
	if err != nil {
		return fmt.Errorf("ebpf-conntrack: netlink conntrack: %w", err)
	}
	defer c.Close()
	if _, err := c.StatsGlobal(); err != nil {
		return fmt.Errorf("ebpf-conntrack: conntrack does not answer (is nf_conntrack loaded?): %w", err)
	}
	return nil
}

// Start watches every namespace now and rescans for new ones.
func (p *Plugin) Start(ctx context.Context) error {
	p.refresh(ctx)
	ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		scan, report := time.NewTicker(rescan), time.NewTicker(p.cfg.Interval)
		defer scan.Stop()
		defer report.Stop()
		for {
			select {
			case <-scan.C:
				p.refresh(ctx)
				p.Sweep(time.Now())
			case now := <-report.C:
				p.sink.Write("metric", "ebpf-conntrack/datakit_ebpf", []lp.Point{p.selfPoint(now)})
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// Stop closes every listener.
func (p *Plugin) Stop() error {
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for ns, l := range p.listeners {
		l.stop()
		delete(p.listeners, ns)
	}
	return nil
}

// Close has nothing left to free.
func (p *Plugin) Close() error { return nil }

// refresh starts listeners in new namespaces and stops those of
// namespaces that are gone (a listener's socket would keep its namespace
// alive).
func (p *Plugin) refresh(ctx context.Context) {
	found := hostns.NetNamespaces(p.cfg.ProcRoot, p.cfg.HostRoot)
	p.mu.Lock()
	defer p.mu.Unlock()
	for ns, l := range p.listeners {
		if _, ok := found[ns]; !ok {
			l.stop()
			delete(p.listeners, ns)
		}
	}
	for ns, path := range found {
		if _, ok := p.listeners[ns]; ok {
			continue
		}
		l, err := p.listen(ctx, ns, path)
		if err != nil {
			p.log.Debug("ebpf-conntrack: cannot watch namespace", "netns", ns, "path", path, "err", err)
			continue
		}
		p.log.Debug("ebpf-conntrack: watching", "netns", ns, "path", path)
		p.listeners[ns] = l
	}
}

type listener struct {
	conn *ct.Conn
	done chan struct{}
	wg   sync.WaitGroup
}

func (l *listener) stop() {
	close(l.done)
	l.conn.Close()
	l.wg.Wait()
}

// listen subscribes to NEW and DESTROY events in the namespace at path,
// then dumps the table, so entries are seen whether they are older or
// newer than the subscription. The netlink library creates the socket
// with setns on a locked OS thread.
func (p *Plugin) listen(ctx context.Context, netns uint32, path string) (*listener, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg := &netlink.Config{NetNS: int(f.Fd())}
	conn, err := ct.Dial(cfg)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetOption(netlink.NoENOBUFS, true) // an overflow loses events, not the socket
	evs := make(chan ct.Event, eventQueue)
	errs, err := conn.Listen(evs, 1, []netfilter.NetlinkGroup{netfilter.GroupCTNew, netfilter.GroupCTDestroy})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	l := &listener{conn: conn, done: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case ev := <-evs:
				p.events.Add(1)
				if ev.Flow != nil {
					p.apply(netns, uint8(ev.Type), ev.Flow, time.Now())
				}
			case err := <-errs:
				p.errors.Add(1)
				if !errors.Is(err, unix.EBADF) {
					p.log.Warn("ebpf-conntrack: listener stopped; it restarts at the next rescan", "netns", netns, "err", err)
				}
				go func() { // forget it, so refresh dials again
					p.mu.Lock()
					if p.listeners[netns] == l {
						delete(p.listeners, netns)
						l.conn.Close()
					}
					p.mu.Unlock()
				}()
				return
			case <-l.done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	if dump, err := ct.Dial(cfg); err == nil {
		flows, err := dump.Dump(nil)
		dump.Close()
		now := time.Now()
		for i := range flows {
			p.apply(netns, uint8(ct.EventNew), &flows[i], now)
		}
		if err != nil {
			p.log.Debug("ebpf-conntrack: dump", "netns", netns, "err", err)
		}
	}
	return l, nil
}

func (p *Plugin) selfPoint(now time.Time) lp.Point {
	cur := map[string]uint64{"events": p.events.Load(), "decode_errors": p.errors.Load(), "map_full_drops": p.Full.Load()}
	return p.self.Point(p.Name(), p.cfg.Tags, now, cur)
}
