package netflow

import (
	"errors"
	"net/netip"

	"netobs.local/agent/externals/ebpf/internal/hostns"
)

// start finds the connections established before the collector started,
// in every namespace, with their processes: the aggregator takes their
// counters now as the baseline, and the kernel is told their cookies so
// that it adopts them at their first state change. tracked are the
// connections the kernel tracks already (opened since it attached).
func (d *sockDiag) start(tracked map[diagKey]bool, agg *aggregator) error {
	all := map[diagKey]diagSock{}
	var errs []error
	d.paths = hostns.NetNamespaces(d.cfg.ProcRoot, d.cfg.HostRoot)
	for ns := range d.paths {
		if err := d.dump(ns, all); err != nil && !errors.Is(err, errNoNetns) {
			errs = append(errs, err)
		}
	}
	want := map[uint32][]diagKey{}
	for k, s := range all {
		if s.state != tcpEstablished || tracked[k] || d.skip(k, s.family) {
			continue
		}
		o := &olderConn{cookie: s.cookie, conn: netflowConn{Tuple: tupleOf(k, s.family), Stats: s.stats,
			StartNs: s.cookie, Role: roleAdopted}}
		d.older[k] = o
		want[s.inode] = append(want[s.inode], k)
		if err := d.adopt.Put(s.cookie, uint8(1)); err != nil {
			errs = append(errs, err) // the map is full: counted until it closes, not at its close
		}
	}
	for inode, o := range socketOwners(d.cfg.ProcRoot, keysOf(want)) {
		for _, k := range want[inode] {
			d.older[k].conn.Pid, d.older[k].conn.Comm = o.pid, o.comm
		}
	}
	keep := map[uint32]bool{}
	for k, o := range d.older {
		agg.live(0, &o.conn)
		keep[k.netns] = true
	}
	d.forget(keep)
	return errors.Join(errs...)
}

// refresh sets the counters of the connections read from the conns map,
// finds the processes of those that have none (hasOwner: the aggregator
// knows one already), and appends the older connections the kernel has
// not adopted yet, with sk 0.
func (d *sockDiag) refresh(sks []uint64, conns []netflowConn, hasOwner func(connID) bool) ([]uint64, []netflowConn, error) {
	nss := map[uint32]bool{}
	for i := range conns {
		nss[conns[i].Tuple.Netns] = true
	}
	for k := range d.older {
		nss[k.netns] = true
	}
	all := map[diagKey]diagSock{}
	var errs []error
	for ns := range nss {
		if err := d.dump(ns, all); err != nil && !errors.Is(err, errNoNetns) {
			errs = append(errs, err)
		}
	}
	d.forget(nss)
	want := map[uint32][]int{} // socket inode: indexes into conns
	for i := range conns {
		c := &conns[i]
		k := keyOf(c)
		delete(d.older, k) // the kernel tracks it now: adopted, or opened since the first dump
		s, ok := all[k]
		if !ok {
			continue // closing: its close record has the final counters
		}
		c.Stats = s.stats
		if c.Pid == 0 && !hasOwner(idOf(sks[i], c)) {
			want[s.inode] = append(want[s.inode], i)
		}
	}
	if len(want) > 0 {
		for inode, o := range socketOwners(d.cfg.ProcRoot, keysOf(want)) {
			for _, i := range want[inode] {
				conns[i].Pid, conns[i].Comm = o.pid, o.comm
			}
		}
	}
	for k, o := range d.older {
		s, ok := all[k]
		if !ok || s.cookie != o.cookie {
			delete(d.older, k) // adopted and closed since (its record counted it), or gone
			_ = d.adopt.Delete(o.cookie)
			continue
		}
		o.conn.Stats = s.stats
		sks, conns = append(sks, 0), append(conns, o.conn)
	}
	return sks, conns, errors.Join(errs...)
}

// skip applies --exclude-loopback and --ipv6-disabled as skip_tuple does.
func (d *sockDiag) skip(k diagKey, family uint16) bool {
	if d.cfg.IPv6Disabled && family == 10 && !k.local.Addr().Is4() {
		return true
	}
	return d.cfg.ExcludeLoopback && (k.local.Addr().IsLoopback() || k.remote.Addr().IsLoopback())
}

// tupleOf is the kernel's flow_tuple of a dumped socket (read_tuple).
func tupleOf(k diagKey, family uint16) netflowFlowTuple {
	t := netflowFlowTuple{Sport: k.local.Port(), Dport: k.remote.Port(), Family: family, Proto: 6, Netns: k.netns}
	put := func(dst *[16]uint8, a netip.Addr) {
		if family == 2 { // AF_INET
			b := a.As4()
			copy(dst[:], b[:])
			return
		}
		b := a.As16() // v4-mapped where the socket is dual-stack
		copy(dst[:], b[:])
	}
	put(&t.Saddr, k.local.Addr())
	put(&t.Daddr, k.remote.Addr())
	return t
}

func keysOf[V any](m map[uint32]V) map[uint32]bool {
	out := make(map[uint32]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
