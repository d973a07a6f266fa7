package dns

import (
	"net/netip"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dnsparse"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// query is a DNS query awaiting its answer.
type query struct {
	id       uint16
	peer     netip.AddrPort
	outgoing bool
	startNs  uint64
	x        l7.DNSExchange
}

// dnsConn is a DNS socket: a resolver's (outgoing queries) or a server's
// (incoming), over UDP or TCP. One unconnected UDP socket may talk to many
// peers, so queries are matched by id and peer.
type dnsConn struct {
	p       *parser
	pending []query
	framers *[2]dnsparse.TCPFramer // TCP only: the send and recv directions
}

func newDNSConn(p *parser, proto l7.Proto) *dnsConn {
	d := &dnsConn{p: p}
	if proto == l7.TCP {
		d.framers = new([2]dnsparse.TCPFramer)
	}
	return d
}

func (d *dnsConn) Handle(c *stream.Ctx, ev *l7.Event) {
	if d.framers == nil {
		d.message(c, ev, ev.Payload)
		return
	}
	f := &d.framers[pick(ev.Dir == l7.DirSend, 0, 1)]
	f.Push(ev.Payload, int(ev.TotalLen))
	for msg, ok := f.Next(); ok; msg, ok = f.Next() {
		d.message(c, ev, msg)
	}
}

func (d *dnsConn) message(c *stream.Ctx, ev *l7.Event, b []byte) {
	m := &d.p.msg
	if m.Parse(b) != nil {
		c.Stats().DNSErrors++
		return
	}
	if !m.Response {
		if len(d.pending) >= c.Config().MaxPending {
			c.Stats().PendingOverflow++
			return
		}
		outgoing := ev.Dir == l7.DirSend
		scratch := c.Scratch()
		*scratch = m.AppendName((*scratch)[:0])
		d.pending = append(d.pending, query{
			id: m.ID, peer: ev.Remote, outgoing: outgoing, startNs: ev.TimestampNs,
			x: l7.DNSExchange{Exchange: l7.Exchange{Conn: c.Conn(ev, outgoing), Tid: ev.Tid, StartNs: ev.TimestampNs},
				Name: c.Intern(*scratch), QType: uint16(m.Question.Type)},
		})
		return
	}
	// The answer to a query we sent is received; to one we received, sent.
	outgoing := ev.Dir == l7.DirRecv
	for i := range d.pending {
		q := &d.pending[i]
		if q.id != m.ID || q.outgoing != outgoing || !samePeer(q.peer, ev.Remote) {
			continue
		}
		if peerUnknown(q.peer) { // the answer names whom the query came from
			q.x.Conn.Remote = ev.Remote
		}
		q.x.RCode = m.RCode
		if ev.TimestampNs > q.startNs {
			q.x.LatencyNs = ev.TimestampNs - q.startNs
		}
		q.x.NAnswers = copy(q.x.Answers[:], m.Answers[:m.NAnswers])
		q.x.EndNs = max(ev.TimestampNs, q.startNs)
		emit(c, &q.x)
		d.pending = append(d.pending[:i], d.pending[i+1:]...)
		return
	}
	c.Stats().Unmatched++
}

// expire reports queries unanswered for the timeout, or all of them when
// the socket is gone, with rcode -1 and the time waited (at most the
// timeout) as latency.
func (d *dnsConn) expire(c *stream.Ctx, now uint64, all bool) {
	timeout := uint64(c.Config().DNSTimeout.Nanoseconds())
	kept := d.pending[:0]
	for _, q := range d.pending {
		waited := now - min(now, q.startNs)
		if waited < timeout && !all {
			kept = append(kept, q)
			continue
		}
		q.x.RCode, q.x.LatencyNs = -1, min(waited, timeout)
		q.x.EndNs = q.startNs + q.x.LatencyNs
		c.Stats().DNSTimeouts++
		emit(c, &q.x)
	}
	clear(d.pending[len(kept):])
	d.pending = kept
}

// samePeer: the query's peer is the answer's, or was unknown. A query read
// from an unconnected UDP socket has no sender while the collector's recv
// exits are detached (netflow's --udp-recv-peers on-demand): its answer,
// sent to the sender, names it.
func samePeer(query, answer netip.AddrPort) bool { return query == answer || peerUnknown(query) }

func peerUnknown(p netip.AddrPort) bool { return !p.IsValid() || p.Port() == 0 }

func emit(c *stream.Ctx, x *l7.DNSExchange) {
	c.Stats().DNSExchanges++
	c.Emit(x)
}
