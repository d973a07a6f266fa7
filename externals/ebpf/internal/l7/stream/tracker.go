package stream

import (
	"slices"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dnsparse"
	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
)

type kind uint8

const (
	undecided kind = iota
	kindHTTP
	kindDNS
	unparsed // classified as a protocol we do not parse; events are dropped
)

// socket is the state of one captured socket.
type socket struct {
	id        uint64
	kind      kind
	lastNs    uint64
	undecided int
	comm      [16]byte
	commStr   string
	early     []byte // the bytes of a first event too short to classify
	earlyDir  l7.Dir
	http      *httpConn
	dns       *dnsConn
}

// Tracker turns events into exchanges; see the package doc.
type Tracker struct {
	cfg     Config
	sink    Sink
	socks   map[uint64]*socket
	nowNs   uint64
	names   interner
	scratch []byte   // a carried head followed by the next payload
	merged  l7.Event // an event with early bytes prepended
	dnsMsg  dnsparse.Message
	nameBuf []byte
	stats   Stats
}

// New returns a Tracker that hands finished exchanges to sink.
func New(cfg Config, sink Sink) *Tracker {
	cfg.setDefaults()
	t := &Tracker{cfg: cfg, sink: sink, socks: make(map[uint64]*socket)}
	t.names = newInterner(cfg.MaxInterned, &t.stats.InternOverflow)
	return t
}

// Stats returns the counters.
func (t *Tracker) Stats() Stats {
	s := t.stats
	s.Sockets = len(t.socks)
	return s
}

// Handle processes one event. ev.Payload is not retained.
func (t *Tracker) Handle(ev *l7.Event) {
	t.stats.Events++
	t.nowNs = max(t.nowNs, ev.TimestampNs)
	s := t.socks[ev.SockID]
	if ev.Dir == l7.DirClose {
		if s != nil {
			t.drop(s)
		}
		return
	}
	if ev.Dir != l7.DirSend && ev.Dir != l7.DirRecv {
		return
	}
	if s == nil {
		if len(t.socks) >= t.cfg.MaxSockets {
			t.stats.SocketsOverflow++
			return
		}
		s = &socket{id: ev.SockID}
		t.socks[ev.SockID] = s
	}
	s.lastNs = ev.TimestampNs
	if s.kind == undecided {
		if ev = t.classify(s, ev); ev == nil {
			return
		}
	}
	switch s.kind {
	case kindHTTP:
		s.http.handle(t, s, ev)
	case kindDNS:
		s.dns.handle(t, s, ev)
	}
}

// Advance moves the tracker's clock (CLOCK_MONOTONIC ns, as event
// timestamps) to now: DNS queries past their timeout are reported with
// rcode -1, and idle sockets are evicted. Call it about once a second.
func (t *Tracker) Advance(nowNs uint64) {
	t.nowNs = max(t.nowNs, nowNs)
	idle := uint64(t.cfg.IdleTimeout.Nanoseconds())
	for _, s := range t.socks {
		if s.dns != nil {
			s.dns.expire(t, t.nowNs, false)
		}
		if t.nowNs >= s.lastNs && t.nowNs-s.lastNs >= idle {
			t.stats.Evicted++
			t.drop(s)
		}
	}
}

// drop finishes what a socket's end finishes and forgets the socket.
func (t *Tracker) drop(s *socket) {
	if s.http != nil {
		s.http.closed(t, s)
	}
	if s.dns != nil {
		s.dns.expire(t, t.nowNs, true)
	}
	delete(t.socks, s.id)
}

// classify decides a new socket's protocol from its first events. It
// returns the event to process: ev, or ev prefixed with the bytes of an
// earlier event too short to decide on; nil when there is nothing to do yet.
func (t *Tracker) classify(s *socket, ev *l7.Event) *l7.Event {
	if ev.Proto == l7.TCP {
		if len(s.early) > 0 && s.earlyDir == ev.Dir {
			t.merged = *ev
			t.merged.Payload = append(append(t.merged.Payload[:0:0], s.early...), ev.Payload...)
			t.merged.TotalLen += uint32(len(s.early))
			ev = &t.merged
		}
		s.early = s.early[:0]
	}
	if t.isDNSPort(ev) || t.strictQuery(ev) {
		s.kind, s.dns = kindDNS, newDNSConn(ev.Proto)
		return ev
	}
	if ev.Proto == l7.TCP {
		switch r := httpRole(ev); {
		case r != roleUnknown:
			s.kind, s.http = kindHTTP, &httpConn{role: r}
			return ev
		case (isHeadPrefix(ev) || isLengthPrefix(ev)) && len(ev.Payload) <= maxCarry:
			// "GE", "HTTP/1.1 2", a DNS-over-TCP length read on its
			// own: wait for the rest.
			s.early, s.earlyDir = append(s.early, ev.Payload...), ev.Dir
			return nil
		}
	}
	s.undecided++
	if isTLSRecord(ev.Payload) || s.undecided >= t.cfg.UndecidedEvents {
		s.kind = unparsed
		t.stats.Ignored++
		if t.cfg.Ignore != nil {
			t.cfg.Ignore(s.id)
		}
	}
	return nil
}

func (t *Tracker) isDNSPort(ev *l7.Event) bool {
	return slices.Contains(t.cfg.DNSPorts, ev.Remote.Port()) || slices.Contains(t.cfg.DNSPorts, ev.Local.Port())
}

// strictQuery recognizes a stub resolver's query on a non-DNS port. On
// TCP the event must hold exactly one whole length-prefixed query: the
// length alone is too weak a signal.
func (t *Tracker) strictQuery(ev *l7.Event) bool {
	p := ev.Payload
	if ev.Proto == l7.TCP {
		if ev.Truncated() || len(p) < 3 || int(p[0])<<8|int(p[1]) != len(p)-2 {
			return false
		}
		p = p[2:]
	}
	return t.dnsMsg.Parse(p) == nil && t.dnsMsg.Strict
}

// isLengthPrefix: a socket's first events are no more than the two-byte
// length of a DNS-over-TCP message (a server reading the length first,
// dnsmasq even a byte at a time).
func isLengthPrefix(ev *l7.Event) bool {
	return !ev.Truncated() && len(ev.Payload) > 0 && len(ev.Payload) <= 2
}

// httpRole tells the local end's role from a message head at the start of
// the payload: a request is written by clients and read by servers, a
// response the other way round.
func httpRole(ev *l7.Event) role {
	var req httpparse.Request
	// Any token is a method, so an unknown one ("OTHER") counts only with
	// its whole request line: "AUTH user" is not yet HTTP.
	if st := httpparse.ParseRequest(ev.Payload, &req); st != httpparse.Invalid && req.Method != "" &&
		(req.Method != httpparse.MethodOther || req.LineDone) {
		return pick(ev.Dir == l7.DirSend, roleClient, roleServer)
	}
	var resp httpparse.Response
	if st := httpparse.ParseResponse(ev.Payload, &resp); st == httpparse.Complete || resp.LineDone {
		return pick(ev.Dir == l7.DirRecv, roleClient, roleServer)
	}
	return roleUnknown
}

// isHeadPrefix reports whether the whole of a fully captured payload is the
// start of an HTTP head.
func isHeadPrefix(ev *l7.Event) bool {
	if ev.Truncated() {
		return false
	}
	var req httpparse.Request
	var resp httpparse.Response
	return httpparse.ParseRequest(ev.Payload, &req) == httpparse.Partial ||
		httpparse.ParseResponse(ev.Payload, &resp) == httpparse.Partial
}

// isTLSRecord recognizes a TLS handshake or application-data record header,
// which no plaintext protocol we parse starts with.
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x16 || b[0] == 0x17) && b[1] == 3 && b[2] <= 4
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// conn builds an exchange's connection identity from the event that
// started it.
func (t *Tracker) conn(s *socket, ev *l7.Event, outgoing bool) l7.ConnInfo {
	if s.commStr == "" || s.comm != ev.Comm {
		s.comm, s.commStr = ev.Comm, ev.CommString()
	}
	return l7.ConnInfo{Pid: ev.Pid, Comm: s.commStr, Proto: ev.Proto, Local: ev.Local, Remote: ev.Remote, Outgoing: outgoing}
}
