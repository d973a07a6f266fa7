// Package conntrack is the ebpf-conntrack plugin: it learns from netfilter
// conntrack where DNAT rules (a Kubernetes Service's ClusterIP, an
// iptables or nft DNAT rule) sent connections, so that netflow can report
// dst_nat_ip and dst_nat_port.
//
// This kernel has no kprobes (DataKit hooks nf_ct_delete and
// __nf_conntrack_hash_insert), so the plugin listens to conntrack's
// netlink events (NEW and DESTROY) in every network namespace, after a
// dump of what already exists there.
package conntrack

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	ct "github.com/ti-mo/conntrack"
)

// tuple is a connection's original direction, as its socket sees it.
type tuple struct {
	proto    uint8
	src, dst netip.AddrPort
}

type key struct {
	netns uint32
	tuple
}

type entry struct {
	to        netip.AddrPort // the translated destination
	destroyed time.Time      // zero while the conntrack entry lives
}

// Table maps original tuples to their DNAT destinations. It is bounded;
// destroyed entries stay for a grace period so that records built after
// the connection ended (at the next flush) still find them.
type Table struct {
	max   int
	grace time.Duration

	mu      sync.RWMutex
	entries map[key]*entry
	any     map[tuple]*entry // the same entries by tuple alone: the last one learned

	Full atomic.Uint64 // entries not stored because the table was full
}

// NewTable holds at most max entries and keeps destroyed ones for grace.
func NewTable(max int, grace time.Duration) *Table {
	return &Table{max: max, grace: grace, entries: map[key]*entry{}, any: map[tuple]*entry{}}
}

// DstNAT returns where DNAT sent the flow local → remote of transport
// ("tcp" or "udp") in network namespace netns. A match in the socket's
// own namespace wins; otherwise one from any namespace is used, because a
// pod's connection to a ClusterIP is translated in the host's namespace
// with the same original tuple.
func (t *Table) DstNAT(netns uint32, transport string, local, remote netip.AddrPort) (netip.AddrPort, bool) {
	tp := tuple{protoNumber(transport), unmap(local), unmap(remote)}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if e := t.entries[key{netns, tp}]; e != nil {
		return e.to, true
	}
	if e := t.any[tp]; e != nil {
		return e.to, true
	}
	return netip.AddrPort{}, false
}

// apply records one conntrack event seen in network namespace netns.
func (t *Table) apply(netns uint32, typ uint8, f *ct.Flow, now time.Time) {
	tp, to, ok := fromFlow(f)
	if !ok {
		return
	}
	k := key{netns, tp}
	t.mu.Lock()
	defer t.mu.Unlock()
	if typ == uint8(ct.EventDestroy) {
		if e := t.entries[k]; e != nil {
			e.destroyed = now
		}
		return
	}
	if e := t.entries[k]; e != nil {
		e.to, e.destroyed = to, time.Time{}
		t.any[tp] = e
		return
	}
	if len(t.entries) >= t.max {
		t.sweepLocked(now, true)
		if len(t.entries) >= t.max {
			t.Full.Add(1)
			return
		}
	}
	e := &entry{to: to}
	t.entries[k] = e
	t.any[tp] = e
}

// fromFlow returns the original tuple and translated destination of a
// TCP or UDP flow whose destination was rewritten (the DST_NAT status
// bit, and a reply source other than the original destination).
func fromFlow(f *ct.Flow) (tuple, netip.AddrPort, bool) {
	o, r := &f.TupleOrig, &f.TupleReply
	if !f.Status.DstNAT() || (o.Proto.Protocol != 6 && o.Proto.Protocol != 17) {
		return tuple{}, netip.AddrPort{}, false
	}
	tp := tuple{o.Proto.Protocol,
		netip.AddrPortFrom(o.IP.SourceAddress.Unmap(), o.Proto.SourcePort),
		netip.AddrPortFrom(o.IP.DestinationAddress.Unmap(), o.Proto.DestinationPort)}
	to := netip.AddrPortFrom(r.IP.SourceAddress.Unmap(), r.Proto.SourcePort)
	if !tp.src.Addr().IsValid() || !tp.dst.Addr().IsValid() || !to.Addr().IsValid() || to == tp.dst {
		return tuple{}, netip.AddrPort{}, false
	}
	return tp, to, true
}

// Sweep forgets entries destroyed more than the grace period ago.
func (t *Table) Sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now, false)
}

func (t *Table) sweepLocked(now time.Time, allDestroyed bool) {
	for k, e := range t.entries {
		if e.destroyed.IsZero() || !allDestroyed && now.Sub(e.destroyed) <= t.grace {
			continue
		}
		delete(t.entries, k)
		if t.any[k.tuple] == e {
			delete(t.any, k.tuple)
		}
	}
}

// Len is the number of entries.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.entries)
}

func protoNumber(transport string) uint8 {
	if transport == "udp" {
		return 17
	}
	return 6
}

func unmap(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) }
