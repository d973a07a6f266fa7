package netlog

import (
	"net/netip"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
)

// Directions and views of a flow are indexed by end: the client's (it
// sent the SYN, or the first datagram) and the server's.
const (
	toServer = 0 // bytes the client sent; also the client's view
	toClient = 1 // bytes the server sent; also the server's view
)

// flowKey names a TCP connection or UDP flow in one network namespace,
// whatever interface it crosses: the VXLAN underlay and overlay of one
// connection, or the two interfaces a forwarded packet crosses, are one
// flow, counted on the interface that saw it first.
type flowKey struct {
	proto dissect.Proto
	a, b  netip.AddrPort // canonical order
}

func flowKeyOf(p *dissect.Packet) flowKey {
	a, b := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return flowKey{proto: p.Proto, a: a, b: b}
}

// counts are what one view of a flow adds to its netflow group.
type counts struct {
	read, written, retrans uint64
	established, closed    uint64
	rttSum, rttN           uint64
}

func (c *counts) add(o *counts) {
	c.read += o.read
	c.written += o.written
	c.retrans += o.retrans
	c.established += o.established
	c.closed += o.closed
	c.rttSum += o.rttSum
	c.rttN += o.rttN
}

func (c *counts) zero() bool { return *c == counts{} }

// flow is one connection or datagram flow of a namespace, as its local
// end(s) would report it: a view per local end (both on lo).
type flow struct {
	key            flowKey
	ifindex        int // the interface whose packets are counted
	client, server netip.AddrPort
	local          [2]bool // which ends are this namespace's: the views
	ignored        bool    // neither end is local (forwarded traffic)
	last           time.Time

	// TCP sequence space, per direction (toServer, toClient).
	next   [2]uint32
	nextOK [2]bool
	fin    [2]bool
	rst    bool
	synAt  time.Time // the first SYN, the SYN-ACK, the handshake's ACK
	ackAt  time.Time
	sAckAt time.Time
	rtt    [2]uint64 // µs per view, 0 until measured
	estab  bool      // counted as established
	closed bool      // counted as closed

	pending  [2]counts // per view, not yet handed to the aggregate
	rttEpoch [2]time.Time
	tags     [2]flowtags.Tags
	tagsOK   [2]bool
	sock     [2]uint64 // stream socket ids, per view
	http     [2]bool   // the view's stream socket has seen data
}

// dirOf is the direction of a packet sent by src.
func (f *flow) dirOf(src netip.AddrPort) int {
	if src == f.client {
		return toServer
	}
	return toClient
}

// tcp accounts a TCP segment sent in direction d with payload bytes on the
// wire, and returns how many of them are new (not seen before in the
// sequence space), which is what a socket counts in bytes_sent -
// bytes_retrans and bytes_received.
func (f *flow) tcp(d int, p *dissect.Packet, payload int, now time.Time) (fresh int) {
	syn, fin, ack := p.Flags&dissect.SYN != 0, p.Flags&dissect.FIN != 0, p.Flags&dissect.ACK != 0
	seqLen := uint32(payload)
	dataStart := p.Seq
	if syn {
		seqLen++
		dataStart++
	}
	if fin {
		seqLen++
		f.fin[d] = true
	}
	if p.Flags&dissect.RST != 0 {
		f.rst = true
	}
	f.handshake(d, syn, ack, payload, now)
	if seqLen == 0 {
		return 0
	}
	end := p.Seq + seqLen
	if !f.nextOK[d] {
		f.next[d], f.nextOK[d] = end, true
		return payload
	}
	if int32(p.Seq-f.next[d]) < 0 { // overlaps what was seen: a retransmission
		f.pending[d].retrans++
	}
	from := dataStart
	if int32(f.next[d]-from) > 0 {
		from = f.next[d]
	}
	if n := int32(dataStart + uint32(payload) - from); n > 0 {
		fresh = int(n)
	}
	if int32(end-f.next[d]) > 0 {
		f.next[d] = end
	}
	return fresh
}

// handshake times the SYN, SYN-ACK and ACK: the client's RTT is SYN to
// SYN-ACK, the server's SYN-ACK to ACK, as each end measures its first
// sample. A connection is established when its SYN-ACK is seen.
func (f *flow) handshake(d int, syn, ack bool, payload int, now time.Time) {
	switch {
	case syn && !ack && d == toServer:
		if f.synAt.IsZero() {
			f.synAt = now
		}
	case syn && ack && d == toClient:
		if f.sAckAt.IsZero() {
			f.sAckAt = now
			if !f.synAt.IsZero() {
				f.rtt[toServer] = micros(now.Sub(f.synAt))
			}
		}
		if !f.estab {
			f.estab = true
			for v := range f.pending {
				f.pending[v].established++
			}
		}
	case ack && !syn && d == toServer && !f.sAckAt.IsZero() && f.ackAt.IsZero():
		f.ackAt = now
		f.rtt[toClient] = micros(now.Sub(f.sAckAt))
	}
}

func micros(d time.Duration) uint64 { return uint64(max(d.Microseconds(), 1)) }

// isClosed: both FINs, or a RST.
func (f *flow) isClosed() bool { return f.rst || f.fin[0] && f.fin[1] }

// account adds a packet's new payload to the views and counts the close.
func (f *flow) account(d int, fresh int, now time.Time) {
	f.last = now
	f.pending[d].written += uint64(fresh) // the sender's view wrote it, the other read it
	f.pending[1-d].read += uint64(fresh)
	if f.key.proto == dissect.ProtoTCP && !f.closed && f.isClosed() {
		f.closed = true
		for v := range f.pending {
			f.pending[v].closed++
		}
	}
}

// take returns view v's counts since the last take, with its RTT sample
// once per interval epoch, and clears them.
func (f *flow) take(v int, epoch time.Time) counts {
	c := f.pending[v]
	f.pending[v] = counts{}
	if c.zero() {
		return c
	}
	if f.rtt[v] > 0 && !f.rttEpoch[v].Equal(epoch) {
		f.rttEpoch[v] = epoch
		c.rttSum, c.rttN = f.rtt[v], 1
	}
	return c
}

// ends returns the view's local and remote end.
func (f *flow) ends(v int) (local, remote netip.AddrPort) {
	if v == toServer {
		return f.client, f.server
	}
	return f.server, f.client
}
