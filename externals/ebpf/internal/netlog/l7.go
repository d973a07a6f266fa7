package netlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http1"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// The L7 log is parsed by the L7 engine's stream layer and its registered
// HTTP/1 protocol, the same parser as httpflow's: the segments a
// connection's interface saw are the events of a socket of the packet
// source (l7.SourcePacket), sent by the connection's local end or received
// by it. The records stay netlog's: they are per interface, and must not
// be counted into the socket capture's httpflow.

// askedHeaders are the request headers the L7 log asks the parser for.
var askedHeaders = []string{"traceparent", "x-datadog-trace-id", "x-datadog-parent-id"}

// maxAcks: the acknowledgement numbers of a connection's latest segments,
// kept for the l7_traceid of the request that starts in one of them.
const maxAcks = 8

type segAck struct{ seq, ack uint32 }

func newL7Parser(t *tracker) *stream.Tracker {
	return stream.New(stream.Config{
		MaxSockets:  t.lim.maxConns,
		IdleTimeout: 2 * t.lim.idle, // connections are finished by the tracker first
		Protocols:   []stream.Protocol{http1.Protocol},
		Headers:     askedHeaders,
		Verdict: func(id uint64, _ l7.Source, v l7.Verdict) {
			if c := t.bySock[id]; c != nil && v >= l7.VerdictParse {
				c.sawHTTP = true
			}
		},
	}, stream.SinkFunc(t.record))
}

// feed hands a segment that starts new data in direction d to the parser.
func (t *tracker) feed(c *conn, d int, p *dissect.Packet, payload int, now time.Time) {
	if c.sock == 0 {
		t.lastSock++
		c.sock = t.lastSock
		t.bySock[c.sock] = c
	}
	c.acks[c.nAcks%maxAcks] = segAck{p.Seq, p.Ack}
	c.nAcks++
	t.ev = l7.Event{Source: l7.SourcePacket, Dir: l7.DirRecv, Proto: l7.TCP, TimestampNs: uint64(now.UnixNano()),
		SockID: c.sock, Local: c.local, Remote: c.remote(), TotalLen: uint32(max(payload, len(p.Payload))),
		Payload: p.Payload, Seq: p.Seq, SeqKnown: true}
	if d == tx {
		t.ev.Dir = l7.DirSend
	}
	t.stream.Handle(&t.ev)
}

// closeL7 ends the connection's parse: a response that runs to the close
// ends there, and requests without a response are logged with status 0.
func (t *tracker) closeL7(c *conn) {
	if c.sock == 0 {
		return
	}
	t.ev = l7.Event{Source: l7.SourcePacket, Dir: l7.DirClose, Proto: l7.TCP, TimestampNs: uint64(c.last.UnixNano()),
		SockID: c.sock, Local: c.local, Remote: c.remote()}
	t.stream.Handle(&t.ev)
	delete(t.bySock, c.sock)
}

// record logs one exchange of the parser.
func (t *tracker) record(r l7.Record) {
	x, ok := r.(*l7.HTTPExchange)
	if !ok {
		return
	}
	c := t.bySock[x.SockID]
	if c == nil || !t.log {
		return
	}
	t.l7 = append(t.l7, l7Point(t.connTags(c), c, x, c.ackOf(x.ReqSeq)))
}

// ackOf is the acknowledgement number of the segment that began at seq,
// 0 when it is no longer kept.
func (c *conn) ackOf(seq uint32) uint32 {
	for i := 0; i < min(c.nAcks, maxAcks); i++ {
		if a := c.acks[i]; a.seq == seq {
			return a.ack
		}
	}
	return 0
}

// l7TraceID identifies a request on every interface it crosses: the
// sequence and acknowledgement numbers of its first segment survive NAT
// and encapsulation, and together are 64 bits mostly drawn from the two
// ends' random initial sequence numbers.
func l7TraceID(seq, ack uint32) string {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], seq)
	binary.BigEndian.PutUint32(b[4:], ack)
	h.Write(b[:])
	return fmt.Sprintf("%016x", h.Sum64())
}

// traceIDs reads the W3C traceparent or, failing that, the Datadog trace
// and parent ids from the request's trace headers.
func traceIDs(hs []l7.Header) (traceID, parentID string) {
	var ddTrace, ddParent string
	for _, h := range hs {
		switch h.Name {
		case "traceparent":
			// version-traceid(32 hex)-parentid(16 hex)-flags
			f := bytes.Split([]byte(h.Value), []byte("-"))
			if len(f) == 4 && len(f[1]) == 32 && len(f[2]) == 16 && isHex(f[1]) && isHex(f[2]) {
				return string(f[1]), string(f[2])
			}
		case "x-datadog-trace-id":
			if isDigits([]byte(h.Value)) {
				ddTrace = h.Value
			}
		case "x-datadog-parent-id":
			if isDigits([]byte(h.Value)) {
				ddParent = h.Value
			}
		}
	}
	if ddTrace != "" {
		return ddTrace, ddParent
	}
	return "", ""
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return len(b) > 0
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0 && len(b) <= 20
}
