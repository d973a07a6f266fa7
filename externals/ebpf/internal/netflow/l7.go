package netflow

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/domains"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/externals/ebpf/internal/procselect"
)

// L7Config configures the payload capture behind httpflow and dnsflow
// (bpf/netflow/l7capture.h): a source of the shared L7 engine
// (internal/l7/engine), which parses and aggregates.
type L7Config struct {
	// Engine receives the captured events; required when DNS or HTTP is on.
	Engine L7Engine
	// DNS turns dnsflow on (--dnsflow), and with it the domain cache that
	// gives netflow and httpflow their dst_domain. The capture runs when
	// DNS or HTTP is on.
	DNS bool
	// HTTP turns the capture of every TCP socket on, for the TCP protocols
	// (l7net_enabled = ["httpflow"], ["redis"]...); without it
	// TCP is captured only on the DNS port.
	HTTP bool
	// CaptureBytes caps the payload bytes copied per syscall (default
	// l7.DefaultCaptureBytes, at most MaxCaptureBytes).
	CaptureBytes int
	// RingBytes sizes the capture ring buffer (default 8 MiB).
	RingBytes int
	// Skip keeps the kernel's l7_skip_tgid map equal to the processes
	// whose payload is never copied: the collector, its supervisor, and
	// those selection excludes (procselect.KernelSet); nil: none.
	Skip KernelSkip
}

// KernelSkip keeps a map of tgids the capture skips (procselect.KernelSet).
type KernelSkip interface {
	Bind(m procselect.TgidMap, max int) error
	Unbind()
}

// MaxCaptureBytes is the kernel's compile-time bound of CaptureBytes
// (L7_MAX_CAP in l7capture.h).
const MaxCaptureBytes = 4096

// L7Engine is what the capture needs of the L7 engine (engine.Engine).
type L7Engine interface {
	Handle(ev *l7.Event)
	// Source registers how the capture acts on the engine's verdicts.
	Source(src l7.Source, verdict func(sockID uint64, v l7.Verdict))
	Domains() *domains.Cache
	TableDrops() uint64
	Points() uint64
}

const (
	defaultL7Ring = 8 << 20
	// l7WakeupFraction: the capture wakes its reader once 1/8 of the ring
	// is pending (1 MiB of 8), else at the reader's poll deadline. At tens
	// of thousands of requests per second a 64 KiB threshold meant ~1000
	// wakeups/s, and the context switches were the reader's largest cost;
	// 7/8 of the ring stays free for the reader to catch up.
	l7WakeupFraction = 8
)

// l7Capture reads the capture ring buffer into the L7 engine: netflow is
// the engine's socket source (l7.SourceSocket).
type l7Capture struct {
	cfg    L7Config
	reader *ringbuf.Reader
	objs   *netflowObjects

	events, decodeErrors, ignoreErrors atomic.Uint64
}

func newL7Capture(cfg L7Config) *l7Capture {
	if !cfg.DNS && !cfg.HTTP {
		return nil
	}
	if cfg.CaptureBytes <= 0 {
		cfg.CaptureBytes = l7.DefaultCaptureBytes
	}
	if cfg.RingBytes <= 0 {
		cfg.RingBytes = defaultL7Ring
	}
	c := &l7Capture{cfg: cfg}
	return c
}

// configure sets the capture's constants in spec; with the capture off
// its ring buffer shrinks to one page and its code is pruned by the
// verifier.
func (c *l7Capture) configure(spec *ebpf.CollectionSpec) error {
	vars := map[string]any{"l7_enabled": c != nil}
	ring := uint32(os.Getpagesize())
	if c != nil {
		if c.cfg.CaptureBytes > MaxCaptureBytes {
			return fmt.Errorf("l7 capture bytes %d: at most %d", c.cfg.CaptureBytes, MaxCaptureBytes)
		}
		vars["l7_tcp_all"] = c.cfg.HTTP
		vars["l7_dns"] = c.cfg.DNS
		vars["l7_cap_bytes"] = uint32(c.cfg.CaptureBytes)
		vars["l7_wakeup_bytes"] = uint64(c.cfg.RingBytes / l7WakeupFraction)
		ring = uint32(c.cfg.RingBytes)
	}
	for name, v := range vars {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	spec.Maps["l7_events"].MaxEntries = ring
	return nil
}

// open starts reading the loaded ring buffer.
func (c *l7Capture) open(objs *netflowObjects, objects *loader.Stack) error {
	if c == nil {
		return nil
	}
	r, err := ringbuf.NewReader(objs.L7Events)
	if err != nil {
		return fmt.Errorf("l7 ring buffer reader: %w", err)
	}
	c.objs, c.reader = objs, r
	objects.Push(r)
	if c.cfg.Skip != nil {
		if err := c.cfg.Skip.Bind(objs.L7SkipTgid, int(objs.L7SkipTgid.MaxEntries())); err != nil {
			return fmt.Errorf("l7 skip map: %w", err)
		}
		objects.Push(unbinder{c.cfg.Skip})
	}
	c.cfg.Engine.Source(l7.SourceSocket, c.verdict)
	return nil
}

// unbinder unbinds the skip set when the capture's objects close.
type unbinder struct{ KernelSkip }

func (u unbinder) Close() error { u.Unbind(); return nil }

// start starts the reader (the capture's hooks are the plugin's: Hooks).
func (c *l7Capture) start(ctx context.Context, p *Plugin) {
	if c == nil {
		return
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); c.readLoop(ctx, p) }()
}

// readLoop feeds records to the collector; Handle copies what it keeps,
// so a record is released as soon as it returns.
func (c *l7Capture) readLoop(ctx context.Context, p *Plugin) {
	var ev l7.Event
	loader.ReadRing(ctx, c.reader, readDeadline, func(rec []byte) {
		c.events.Add(1)
		if err := l7.DecodeRecord(rec, &ev); err != nil {
			c.decodeErrors.Add(1) // the error names a field, never payload bytes
			return
		}
		c.cfg.Engine.Handle(&ev)
	}, func(err error) { p.log.Error("ebpf-net: l7 ring buffer", "err", err) })
}

// verdict stops the kernel capturing a socket userspace does not parse.
// A parse verdict changes nothing in the capture yet (a fast path per
// protocol would act on it): writing it would cost a map update per
// socket for nothing.
func (c *l7Capture) verdict(sockID uint64, v l7.Verdict) {
	if c.objs == nil || v != l7.VerdictIgnore {
		return
	}
	if err := c.objs.L7Verdicts.Put(sockID, uint8(netflowL7VerdictL7V_IGNORE)); err != nil {
		c.ignoreErrors.Add(1)
	}
}

// Domains answers which name an address was resolved from (dst_domain).
type Domains interface {
	Lookup(addr netip.Addr) (name string, ok bool)
}

// domains is the capture's DNS answer cache, nil when it is off.
func (c *l7Capture) domains() Domains {
	if c == nil {
		return nil
	}
	return c.cfg.Engine.Domains()
}

// stats adds the capture's counters to the plugin's self-metrics.
func (c *l7Capture) stats(cur map[string]uint64) {
	if c == nil {
		return
	}
	cur["events"] += c.events.Load()
	cur["decode_errors"] += c.decodeErrors.Load()
	cur["kernel_drops"] += perCPUSum(c.objs.L7Drops, uint32(netflowL7DropReasonL7DROP_RINGBUF_FULL))
	cur["table_drops"] += c.cfg.Engine.TableDrops()
	cur["points"] += c.cfg.Engine.Points()
}

func perCPUSum(m *ebpf.Map, key uint32) uint64 {
	var perCPU []uint64
	if err := m.Lookup(key, &perCPU); err != nil {
		return 0
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n
}
