package netlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/filter"
)

// counters are the plugin's self-metrics, shared by the captures.
type counters struct {
	packets, decodeErrors, filtered, kernelDrops, connDrops, points atomic.Uint64
}

// capture reads one namespace's packet socket and feeds its tracker.
type capture struct {
	ns      netns
	sock    *packetSocket
	dec     *dissect.Decoder
	links   map[int]link
	linksAt time.Time
	rules   *filter.Rules
	rec     packetRecord
	names   addrNames
	trk     *tracker
	meter   *meter   // nil unless netlog_metric
	metrics *metrics // where the meter's counts go
	stats   *counters
	emit    func(l4, l7 []lp.Point)
	every   time.Duration // tick period
	log     *slog.Logger
	// excludeLoopback and ipv6Disabled are the ebpf input's options of
	// those names, which apply to every plugin.
	excludeLoopback, ipv6Disabled bool
}

func newCapture(ns netns, rules *filter.Rules, trk *tracker, stats *counters, emit func(l4, l7 []lp.Point), every time.Duration, log *slog.Logger) (*capture, error) {
	sock, err := openPacketSocket(ns)
	if err != nil {
		return nil, fmt.Errorf("capture in %s (%s): %w", ns.path, ns.tag(), err)
	}
	c := &capture{ns: ns, sock: sock, dec: dissect.NewDecoder(layers.LayerTypeEthernet), rules: rules, trk: trk,
		stats: stats, emit: emit, every: every, log: log}
	c.rec.names = &c.names
	c.refreshLinks(time.Now())
	return c, nil
}

// run captures until ctx ends, then emits what is left and closes.
func (c *capture) run(ctx context.Context) {
	defer c.sock.close()
	var fr frame
	var p dissect.Packet
	next := time.Now().Add(c.every)
	for ctx.Err() == nil {
		err := c.sock.read(next, &fr)
		switch {
		case err == nil:
			c.handle(&fr, &p)
			if fr.ts.Before(next) {
				continue
			}
		case !isTimeout(err):
			if errors.Is(err, os.ErrClosed) {
				return
			}
			c.log.Warn("bpf-netlog: read packet", "netns", c.ns.tag(), "err", err)
			time.Sleep(10 * time.Millisecond)
		}
		if now := time.Now(); !now.Before(next) {
			c.tick(now)
			next = now.Add(c.every)
		}
	}
	c.trk.finishAll()
	if c.meter != nil {
		c.meter.finishAll(time.Now())
	}
	c.flush()
}

func (c *capture) tick(now time.Time) {
	c.stats.kernelDrops.Add(c.sock.drops())
	c.trk.tick(now)
	if c.meter != nil {
		c.meter.tick(now)
	}
	c.flush()
}

func (c *capture) flush() {
	l4, l7 := c.trk.take()
	c.stats.connDrops.Add(c.trk.drops)
	c.trk.drops = 0
	if c.meter != nil {
		c.metrics.add(c.meter.take())
		c.stats.connDrops.Add(c.meter.drops)
		c.meter.drops = 0
	}
	if len(l4)+len(l7) > 0 {
		c.stats.points.Add(uint64(len(l4) + len(l7)))
		c.emit(l4, l7)
	}
}

// handle decodes, filters and accounts one packet.
func (c *capture) handle(fr *frame, p *dissect.Packet) {
	sent := fr.pkttype == unix.PACKET_OUTGOING
	l := c.link(fr.ifindex, fr.ts)
	if l.loopback && !sent {
		return // lo shows each packet twice, sent and received: keep one
	}
	c.stats.packets.Add(1)
	if c.dec.Decode(fr.data, p) != nil {
		c.stats.decodeErrors.Add(1)
		return
	}
	if c.dropped(p, sent || l.loopback) {
		c.stats.filtered.Add(1)
		return
	}
	payload := len(p.Payload)
	if cut := fr.wireLen - len(fr.data); cut > 0 && (p.Proto == dissect.ProtoTCP || p.Proto == dissect.ProtoUDP) {
		payload += cut
	}
	if c.trk.log {
		c.trk.packet(p, fr.ifindex, l, sent, payload, fr.ts)
	}
	if c.meter != nil {
		c.meter.packet(p, fr.ifindex, payload, fr.ts)
	}
}

// dropped applies the blacklist to the packet and, for VXLAN, also to its
// tunnel, so a rule on UDP 4789 drops the tunnelled traffic.
func (c *capture) dropped(p *dissect.Packet, srcIsLocal bool) bool {
	if !p.IsIP() {
		return false
	}
	if c.excluded(p) {
		return true
	}
	if c.rules == nil {
		return false
	}
	if p.VXLAN {
		c.rec.setOuter(p, srcIsLocal)
		if _, drop := c.rules.Match(&c.rec); drop {
			return true
		}
	}
	c.rec.set(p, srcIsLocal)
	_, drop := c.rules.Match(&c.rec)
	return drop
}

// excluded applies --exclude-loopback and --ipv6-disabled as ebpf-net
// does: a loopback address at either end (of the inner packet), an IPv6
// header.
func (c *capture) excluded(p *dissect.Packet) bool {
	if c.ipv6Disabled && p.Src.Is6() && !p.Src.Is4In6() {
		return true
	}
	return c.excludeLoopback && (p.Src.Unmap().IsLoopback() || p.Dst.Unmap().IsLoopback())
}

// link returns the interface's tags, re-reading the namespace's interfaces
// (at most once a second) when an index is new.
func (c *capture) link(ifindex int, now time.Time) link {
	if l, ok := c.links[ifindex]; ok {
		return l
	}
	if now.Sub(c.linksAt) >= time.Second {
		c.refreshLinks(now)
		if l, ok := c.links[ifindex]; ok {
			return l
		}
	}
	return link{name: fmt.Sprintf("if%d", ifindex), mac: "00:00:00:00:00:00", virtual: true}
}

func (c *capture) refreshLinks(now time.Time) {
	c.linksAt = now
	links, err := readLinks(c.ns)
	if err != nil {
		c.log.Warn("bpf-netlog: interfaces", "netns", c.ns.tag(), "err", err)
		return
	}
	c.links = links
}
