package netlog

import (
	"net"
	"net/netip"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http1"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// meter computes netflow and httpflow from one namespace's packets
// (netlog_metric): each connection is counted as the sockets of its local
// ends would count it, so that the figures stand in for ebpf-net's. Like
// the tracker, it is owned by the namespace's capture goroutine.
type meter struct {
	nsIno     uint32
	lim       limits
	tags      *tagCache
	listeners *flowtags.Listeners
	localAddr func() (map[netip.Addr]bool, error)
	local     map[netip.Addr]bool
	localAt   time.Time

	flows    map[flowKey]*flow
	stream   *stream.Tracker
	ev       l7.Event
	lastSock uint64

	deltas    []flowDelta       // ready for the aggregate
	exchanges []l7.HTTPExchange // ready for the aggregate
	drops     uint64            // flows not tracked: the table was full
}

// flowDelta is what one view of a flow adds to its netflow group.
type flowDelta struct {
	tags flowtags.Tags
	c    counts
}

func newMeter(ns netns, lim limits, b flowtags.Builder, ls *flowtags.Listeners, localAddr func() (map[netip.Addr]bool, error)) *meter {
	m := &meter{nsIno: uint32(ns.ino), lim: lim, tags: newTagCache(b), listeners: ls, localAddr: localAddr, flows: map[flowKey]*flow{}}
	m.stream = stream.New(stream.Config{MaxSockets: lim.maxConns, IdleTimeout: lim.idle,
		Protocols: []stream.Protocol{http1.Protocol}}, (*exchangeSink)(m))
	return m
}

// exchangeSink keeps the stream's HTTP exchanges; DNS is not computed
// from packets.
type exchangeSink meter

func (s *exchangeSink) Record(r l7.Record) {
	if x, ok := r.(*l7.HTTPExchange); ok && !x.Unanswered {
		s.exchanges = append(s.exchanges, *x)
	}
}

// packet accounts one decoded, not blacklisted packet seen on interface
// ifindex; payload is its TCP or UDP payload length on the wire.
func (m *meter) packet(p *dissect.Packet, ifindex int, payload int, now time.Time) {
	if p.Proto != dissect.ProtoTCP && p.Proto != dissect.ProtoUDP {
		return
	}
	k := flowKeyOf(p)
	f := m.flows[k]
	if f != nil && f.ifindex != ifindex {
		return // the same packet on a second interface of the namespace
	}
	synOnly := p.Flags&(dissect.SYN|dissect.ACK) == dissect.SYN
	if f != nil && p.Proto == dissect.ProtoTCP && f.isClosed() && synOnly {
		m.finish(f, now) // the port pair is reused by a new connection
		f = nil
	}
	if f == nil {
		if f = m.newFlow(k, p, ifindex, now); f == nil {
			return
		}
	}
	f.last = now
	if f.ignored {
		return
	}
	d := f.dirOf(netip.AddrPortFrom(p.Src, p.SrcPort))
	fresh := payload
	if p.Proto == dissect.ProtoTCP {
		fresh = f.tcp(d, p, payload, now)
	}
	f.account(d, fresh, now)
	if p.Proto == dissect.ProtoTCP && fresh > 0 {
		m.feed(f, d, p.Payload, payload, fresh, now)
	}
}

func (m *meter) newFlow(k flowKey, p *dissect.Packet, ifindex int, now time.Time) *flow {
	if len(m.flows) >= m.lim.maxConns {
		m.drops++
		return nil
	}
	f := &flow{key: k, ifindex: ifindex, last: now}
	src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	localSrc, localDst := m.isLocal(p.Src), m.isLocal(p.Dst)
	if !localSrc && !localDst && now.Sub(m.localAt) >= time.Second {
		m.refreshLocal(now) // an address may have been added since
		localSrc, localDst = m.isLocal(p.Src), m.isLocal(p.Dst)
	}
	f.client, f.server = src, dst
	switch syn, ack := p.Flags&dissect.SYN != 0, p.Flags&dissect.ACK != 0; {
	case p.Proto == dissect.ProtoTCP && syn && ack:
		f.client, f.server = dst, src
	case p.Proto == dissect.ProtoTCP && syn:
	case m.serves(dst, localDst, p.Proto):
	case m.serves(src, localSrc, p.Proto):
		f.client, f.server = dst, src
	case p.Proto == dissect.ProtoTCP && src.Port() < dst.Port():
		// mid-stream, no listener known: the lower port is the server's
		f.client, f.server = dst, src
	}
	f.local[toServer] = f.client == src && localSrc || f.client == dst && localDst
	f.local[toClient] = f.server == src && localSrc || f.server == dst && localDst
	f.ignored = !f.local[toServer] && !f.local[toClient]
	m.flows[k] = f
	return f
}

// serves reports whether end, local to the namespace, is a listening
// socket: a TCP listener, or a UDP socket bound below the ephemeral range.
func (m *meter) serves(end netip.AddrPort, local bool, proto dissect.Proto) bool {
	if !local || m.listeners == nil {
		return false
	}
	transport := "tcp"
	if proto == dissect.ProtoUDP {
		transport = "udp"
		if m.tags.b.EphemeralStart != 0 && end.Port() >= m.tags.b.EphemeralStart {
			return false
		}
	}
	return m.listeners.Listening(m.nsIno, transport, end.Port())
}

func (m *meter) isLocal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || m.local[a]
}

func (m *meter) refreshLocal(now time.Time) {
	m.localAt = now
	if local, err := m.localAddr(); err == nil {
		m.local = local
	}
}

// feed hands the new bytes of a segment to the stream tracker, as the
// send of the sender's socket and the receive of the receiver's, for each
// of them that is local. captured is what the capture kept of the
// segment's payload (its start), wire its length on the wire, fresh the
// new bytes at its end.
func (m *meter) feed(f *flow, d int, captured []byte, wire, fresh int, now time.Time) {
	var data []byte
	if off := wire - fresh; off < len(captured) {
		data = captured[off:]
	}
	for v := range f.local {
		if !f.local[v] {
			continue
		}
		if f.sock[v] == 0 {
			m.lastSock++
			f.sock[v] = m.lastSock
		}
		m.ev = l7.Event{Dir: l7.DirRecv, Proto: l7.TCP, TimestampNs: uint64(now.UnixNano()), SockID: f.sock[v],
			TotalLen: uint32(fresh), Payload: data}
		if v == d {
			m.ev.Dir = l7.DirSend
		}
		m.ev.Local, m.ev.Remote = f.ends(v)
		m.stream.Handle(&m.ev)
	}
}

// tick hands the counts to the aggregate and forgets closed and idle
// flows.
func (m *meter) tick(now time.Time) {
	for _, f := range m.flows {
		switch quiet := now.Sub(f.last); {
		case f.isClosed() && quiet >= m.lim.linger, quiet >= m.lim.idle:
			m.finish(f, now)
		default:
			m.collect(f, now)
		}
	}
	m.stream.Advance(uint64(now.UnixNano()))
}

// collect moves a flow's counts of its local views to m.deltas.
func (m *meter) collect(f *flow, now time.Time) {
	epoch := now.Truncate(m.lim.interval)
	for v := range f.local {
		if !f.local[v] {
			continue
		}
		c := f.take(v, epoch)
		if c.zero() {
			continue
		}
		if !f.tagsOK[v] {
			local, remote := f.ends(v)
			transport := "tcp"
			if f.key.proto == dissect.ProtoUDP {
				transport = "udp"
			}
			f.tags[v] = m.tags.build(flowtags.Flow{Transport: transport, Local: local, Remote: remote, Outgoing: v == toServer})
			f.tagsOK[v] = true
		}
		m.deltas = append(m.deltas, flowDelta{tags: f.tags[v], c: c})
	}
}

// finish collects what is left of a flow, ends its stream sockets (a
// response that runs to the close ends there) and forgets it.
func (m *meter) finish(f *flow, now time.Time) {
	m.collect(f, now)
	for v, id := range f.sock {
		if id != 0 {
			m.ev = l7.Event{Dir: l7.DirClose, Proto: l7.TCP, TimestampNs: uint64(now.UnixNano()), SockID: id}
			m.ev.Local, m.ev.Remote = f.ends(v)
			m.stream.Handle(&m.ev)
		}
	}
	delete(m.flows, f.key)
}

// finishAll finishes every flow, at stop.
func (m *meter) finishAll(now time.Time) {
	for _, f := range m.flows {
		m.finish(f, now)
	}
}

// take returns what is ready for the aggregate and forgets it.
func (m *meter) take() ([]flowDelta, []l7.HTTPExchange) {
	d, x := m.deltas, m.exchanges
	m.deltas, m.exchanges = nil, nil
	return d, x
}

// interfaceAddrs lists the addresses of the namespace's interfaces.
func interfaceAddrs(ns netns) (map[netip.Addr]bool, error) {
	var addrs []net.Addr
	err := inNetns(ns.path, func() (err error) {
		addrs, err = net.InterfaceAddrs()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out, nil
}
