// Package dns is DNS on the L7 protocol registry, over UDP and over TCP
// with its length framing: detection by port or by a query shaped exactly
// like a stub resolver's, queries matched to answers by id, peer and side,
// and timeouts. Its records are l7.DNSExchange, aggregated into dnsflow;
// their A/AAAA answers fill the domain cache (l7/domains).
package dns

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dnsflow"
	"netobs.local/agent/externals/ebpf/internal/l7/dnsparse"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name.
const Name = "dns"

// Protocol is DNS's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	Ports:       []uint16{53},
	New:         func(stream.Config) stream.Parser { return &parser{} },
	Measurement: measure.Dnsflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return dnsflow.New(dnsflow.Config{Tags: c.Tags, MaxSeries: c.MaxSeries, Stage: c.Stage})
	},
}

// parser holds one Tracker's scratch message.
type parser struct{ msg dnsparse.Message }

// Detect: the DNS port, or a stub resolver's query; the first bytes of a
// TCP socket that are no more than a message length wait for the rest.
func (p *parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	switch {
	case onPort || p.strictQuery(ev):
		return stream.Yes
	case ev.Proto == l7.TCP && isLengthPrefix(ev):
		return stream.More
	}
	return stream.No
}

func (p *parser) Open(ev *l7.Event) stream.Conn { return newDNSConn(p, ev.Proto) }

// Advance reports the queries past their timeout.
func (d *dnsConn) Advance(c *stream.Ctx, nowNs uint64) { d.expire(c, nowNs, false) }

// Close reports every pending query as unanswered.
func (d *dnsConn) Close(c *stream.Ctx) { d.expire(c, c.Now(), true) }

// Held: the pending queries; the framers' bytes are bounded by dnsparse.
func (d *dnsConn) Held() (pending, carried int) { return len(d.pending), 0 }

// strictQuery recognizes a stub resolver's query on a non-DNS port. On
// TCP the event must hold exactly one whole length-prefixed query: the
// length alone is too weak a signal.
func (p *parser) strictQuery(ev *l7.Event) bool {
	b := ev.Payload
	if ev.Proto == l7.TCP {
		if ev.Truncated() || len(b) < 3 || int(b[0])<<8|int(b[1]) != len(b)-2 {
			return false
		}
		b = b[2:]
	}
	return p.msg.Parse(b) == nil && p.msg.Strict
}

// isLengthPrefix: a socket's first events are no more than the two-byte
// length of a DNS-over-TCP message (a server reading the length first,
// dnsmasq even a byte at a time).
func isLengthPrefix(ev *l7.Event) bool {
	return !ev.Truncated() && len(ev.Payload) > 0 && len(ev.Payload) <= 2
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
