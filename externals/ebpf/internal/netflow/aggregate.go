package netflow

import (
	"net/netip"
	"strconv"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Role of a connection's local end, as the kernel saw it open.
const (
	roleUnknown = 0 // established before the collector started
	roleClient  = uint8(netflowConnRoleROLE_CLIENT)
	roleServer  = uint8(netflowConnRoleROLE_SERVER)
	roleAdopted = uint8(netflowConnRoleROLE_ADOPTED) // established before the start, found by the socket diagnostics (sockdiag.go)
)

// older reports whether c was established before the collector started:
// its history before the first sighting is not ours to count.
func older(c *netflowConn) bool { return c.Role == roleUnknown || c.Role == roleAdopted }

// connID tells apart two connections that reuse one sk address. An
// adopted connection is known by its cookie alone (kept as its start_ns),
// from before the kernel tracks it at an sk address.
type connID struct{ sk, start uint64 }

func idOf(sk uint64, c *netflowConn) connID {
	if c.Role == roleAdopted {
		return connID{0, c.StartNs}
	}
	return connID{sk, c.StartNs}
}

type tracked struct {
	last   netflowTcpStats // counters already reported
	missed int             // flushes in a row the conn was absent from the map
	owner  owner           // its process, once known (the kernel may not know it: sockdiag.go)
}

// withOwner gives c the process t knows when the kernel has none for it,
// and lets t learn the kernel's.
func (t *tracked) withOwner(c *netflowConn) {
	if c.Pid == 0 {
		c.Pid, c.Comm = t.owner.pid, t.owner.comm
	} else {
		t.owner = owner{c.Pid, c.Comm}
	}
}

// groupKey is everything a netflow point's tags depend on.
type groupKey struct {
	pid          uint32
	comm         string
	tags         flowtags.Tags
	domain       string // dst_domain: the name the remote address was resolved from
	serverDomain string // server_domain: the same for the server's address
}

type group struct {
	tcp                     bool
	bytesRead, bytesWritten uint64
	retransmits             uint64
	rttSum, rttVarSum, rttN uint64
	established, closed     uint64
}

// Direction decides the direction of flows whose opener is unknown.
type Direction interface {
	Outgoing(netns uint32, transport string, localPort, ephemeralStart uint16) bool
}

// aggregator turns kernel snapshots and close events into per-interval
// netflow points. It is pure userspace, fed by the plugin (or by tests).
type aggregator struct {
	tags      flowtags.Builder
	direction Direction
	known     map[connID]*tracked
	groups    map[groupKey]*group
	byInputs  map[groupInputs]*group // this interval's groups by their inputs
	udpLast   map[netflowUdpKey][2]uint64
	procs     Processes // nil: every process observed, no process tags
	nat       NAT       // nil: dst_nat_* are N/A
	domains   Domains   // nil: dst_domain and server_domain are N/A
}

func newAggregator(b flowtags.Builder, d Direction) *aggregator {
	return &aggregator{tags: b, direction: d, known: map[connID]*tracked{},
		groups: map[groupKey]*group{}, byInputs: map[groupInputs]*group{}, udpLast: map[netflowUdpKey][2]uint64{}}
}

// live accounts a connection found in the conns map at flush time.
func (a *aggregator) live(sk uint64, c *netflowConn) {
	id := idOf(sk, c)
	t := a.known[id]
	fresh := t == nil
	if fresh {
		t = &tracked{}
		a.known[id] = t
		if older(c) {
			t.last = c.Stats // older than us: its history is not this interval's
		}
	}
	t.withOwner(c)
	g := a.group(c)
	if fresh && !older(c) {
		g.established++
	}
	t.missed = -1 // seen in this flush (reset to 0 by sweep)
	g.addDelta(c, &t.last)
}

// hasOwner reports whether the process of a live connection is known.
func (a *aggregator) hasOwner(id connID) bool {
	t := a.known[id]
	return t != nil && t.owner.pid != 0
}

// closedConn accounts a close event as soon as it is read.
func (a *aggregator) closedConn(ev *netflowConnCloseEvent) {
	c := &ev.Conn
	t := a.known[idOf(ev.Sk, c)]
	fresh := t == nil
	if fresh {
		t = &tracked{}
	}
	t.withOwner(c)
	g := a.group(c)
	if fresh && !older(c) {
		g.established++
	}
	g.addDelta(c, &t.last)
	g.closed++
	delete(a.known, idOf(ev.Sk, c))
}

// addDelta adds to g what c's counters moved since last, and moves last.
func (g *group) addDelta(c *netflowConn, last *netflowTcpStats) {
	cur := c.Stats
	read, written := sub(cur.BytesRead, last.BytesRead), sub(cur.BytesWritten, last.BytesWritten)
	retrans := sub(uint64(cur.TotalRetrans), uint64(last.TotalRetrans))
	*last = cur
	g.bytesRead += read
	g.bytesWritten += written
	g.retransmits += retrans
	if read+written+retrans > 0 && cur.SrttUs > 0 {
		g.rttSum += uint64(cur.SrttUs)
		g.rttVarSum += uint64(cur.RttvarUs)
		g.rttN++
	}
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func (a *aggregator) group(c *netflowConn) *group {
	outgoing := c.Role == roleClient
	if older(c) {
		outgoing = a.direction.Outgoing(c.Tuple.Netns, "tcp", c.Tuple.Sport, a.tags.EphemeralStart)
	}
	return a.groupFor(c.Pid, c.Comm, &c.Tuple, "tcp", outgoing, true)
}

func (a *aggregator) groupFor(pid uint32, comm [16]int8, t *netflowFlowTuple, transport string, outgoing, tcp bool) *group {
	local, remote := endpoints(t)
	f := flowtags.Flow{Transport: transport, Local: local, Remote: remote, Outgoing: outgoing}
	if outgoing && a.nat != nil {
		f.DstNAT, _ = a.nat.DstNAT(t.Netns, transport, local, remote)
	}
	// Building the tags (strings) and hashing them was most of the cost
	// of a closed connection: the group is found by the fixed-size inputs
	// first. (A domain learned later in the interval applies from the next.)
	in := groupInputs{pid: pid, comm: comm, flow: a.tags.Canonical(f)}
	if g := a.byInputs[in]; g != nil {
		return g
	}
	key := groupKey{pid: pid, comm: cString(comm), tags: a.tags.Build(f)}
	if a.domains != nil {
		key.domain, _ = a.domains.Lookup(remote.Addr())
		key.serverDomain = key.domain
		if !outgoing { // the local end serves
			key.serverDomain, _ = a.domains.Lookup(local.Addr())
		}
	}
	g := a.groups[key]
	if g == nil {
		g = &group{tcp: tcp}
		a.groups[key] = g
	}
	a.byInputs[in] = g
	return g
}

// groupInputs is what a flow's group depends on, before any string is built.
type groupInputs struct {
	pid  uint32
	comm [16]int8
	flow flowtags.Flow // canonical, with its DNAT destination
}

// udp accounts one udp_flows entry; it reports whether the entry has been
// idle for long enough to be deleted from the kernel map.
func (a *aggregator) udp(k *netflowUdpKey, s *netflowUdpStats, idle bool) (remove bool) {
	last := a.udpLast[*k]
	sent, recv := sub(s.BytesSent, last[0]), sub(s.BytesRecv, last[1])
	a.udpLast[*k] = [2]uint64{s.BytesSent, s.BytesRecv}
	if sent+recv > 0 {
		outgoing := a.direction.Outgoing(k.Tuple.Netns, "udp", k.Tuple.Sport, a.tags.EphemeralStart)
		g := a.groupFor(k.Pid, s.Comm, &k.Tuple, "udp", outgoing, false)
		g.bytesWritten += sent
		g.bytesRead += recv
		return false
	}
	if idle {
		delete(a.udpLast, *k)
	}
	return idle
}

// flush returns the interval's points and starts the next interval.
// Connections absent from the map twice in a row lost their close event
// (a counted kernel drop) and are forgotten.
func (a *aggregator) flush(now time.Time, extra []lp.Tag) []lp.Point {
	for id, t := range a.known {
		if t.missed >= 1 {
			delete(a.known, id)
			continue
		}
		t.missed++
	}
	pts := make([]lp.Point, 0, len(a.groups))
	for k, g := range a.groups {
		if g.bytesRead+g.bytesWritten+g.retransmits+g.established+g.closed == 0 {
			continue
		}
		if a.procs != nil && !a.procs.Observe(k.pid) { // decided now: the exec record has arrived
			continue
		}
		var proc []lp.Tag
		if a.procs != nil {
			if path, args := a.procs.Tags(k.pid); path != "" {
				proc = []lp.Tag{{Key: "process_path", Value: path}, {Key: "process_args", Value: args}}
			}
		}
		pts = append(pts, netflowPoint(k, g, now, append(proc, extra...)))
	}
	clear(a.groups)
	clear(a.byInputs)
	return pts
}

func netflowPoint(k groupKey, g *group, now time.Time, extra []lp.Tag) lp.Point {
	name := k.comm
	if k.pid == 0 || name == "" {
		name = "N/A"
	}
	tags := make([]lp.Tag, 0, len(measure.Netflow.Tags)+len(extra))
	tags = append(tags, lp.Tag{Key: "pid", Value: strconv.FormatUint(uint64(k.pid), 10)},
		lp.Tag{Key: "process_name", Value: name}, lp.Tag{Key: "source", Value: "netflow"})
	tags = k.tags.AppendNAT(k.tags.Append(tags))
	if k.domain != "" {
		tags = append(tags, lp.Tag{Key: "dst_domain", Value: k.domain})
	}
	if k.serverDomain != "" {
		tags = append(tags, lp.Tag{Key: "server_domain", Value: k.serverDomain})
	}
	c := measure.FlowCounts{BytesRead: g.bytesRead, BytesWritten: g.bytesWritten, Retransmits: g.retransmits,
		Established: g.established, Closed: g.closed, RTTSum: g.rttSum, RTTVarSum: g.rttVarSum, RTTN: g.rttN}
	return lp.Point{Name: measure.Netflow.Name, Tags: measure.Netflow.Complete(tags, extra),
		Fields: c.Fields(g.tcp, true), Time: now}
}

// endpoints converts a kernel tuple to local and remote address:port.
func endpoints(t *netflowFlowTuple) (local, remote netip.AddrPort) {
	return netip.AddrPortFrom(addr(t.Family, t.Saddr), t.Sport), netip.AddrPortFrom(addr(t.Family, t.Daddr), t.Dport)
}

func addr(family uint16, b [16]uint8) netip.Addr {
	if family == 2 { // AF_INET
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}
