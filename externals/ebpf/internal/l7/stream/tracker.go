package stream

import (
	"fmt"
	"slices"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

type kind uint8

const (
	undecided kind = iota
	parsed         // by s.proto
	unparsed       // classified as a protocol we do not parse; events are dropped
)

// sockKey: one socket seen by one source. Two sources of one socket (a TLS
// library's plaintext, the socket's ciphertext) are parsed apart.
type sockKey struct {
	id  uint64
	src l7.Source
}

// socket is the state of one captured socket.
type socket struct {
	key       sockKey
	kind      kind
	lastNs    uint64
	undecided int
	comm      [16]byte
	commStr   string
	early     []byte // the bytes of first events too short to classify
	earlyDir  l7.Dir
	proto     *registered
	conn      Conn
}

// registered is a Protocol with this Tracker's parser of it.
type registered struct {
	Protocol
	parser Parser
	ports  []uint16
}

// Tracker turns events into exchanges; see the package doc.
type Tracker struct {
	cfg     Config
	sink    Sink
	protos  []registered
	socks   map[sockKey]*socket
	nowNs   uint64
	names   interner
	scratch []byte   // shared by the protocols within one Handle
	merged  l7.Event // an event with early bytes prepended
	stats   Stats
	ctx     Ctx // handed to the protocols, reused: no allocation per event
}

// New returns a Tracker that hands finished exchanges to sink.
func New(cfg Config, sink Sink) *Tracker {
	cfg.setDefaults()
	t := &Tracker{cfg: cfg, sink: sink, socks: make(map[sockKey]*socket)}
	t.names = newInterner(cfg.MaxInterned, &t.stats.InternOverflow)
	t.ctx.t = t
	for _, p := range cfg.Protocols {
		ports, ok := cfg.Ports[p.Name]
		if !ok {
			ports = p.Ports
		}
		t.protos = append(t.protos, registered{Protocol: p, parser: p.New(cfg), ports: ports})
	}
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
	k := sockKey{ev.SockID, ev.Source}
	s := t.socks[k]
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
		s = &socket{key: k}
		t.socks[k] = s
	}
	s.lastNs = ev.TimestampNs
	if s.kind == undecided {
		if ev = t.classify(s, ev); ev == nil {
			return
		}
	}
	if s.kind == parsed {
		s.conn.Handle(t.at(s), ev)
	}
}

// Advance moves the tracker's clock (CLOCK_MONOTONIC ns, as event
// timestamps) to now: exchanges past their timeout (DNS) are reported, and
// idle sockets are evicted. Call it about once a second.
func (t *Tracker) Advance(nowNs uint64) {
	t.nowNs = max(t.nowNs, nowNs)
	idle := uint64(t.cfg.IdleTimeout.Nanoseconds())
	for _, s := range t.socks {
		if s.conn != nil {
			s.conn.Advance(t.at(s), t.nowNs)
		}
		if t.nowNs >= s.lastNs && t.nowNs-s.lastNs >= idle {
			t.stats.Evicted++
			t.drop(s)
		}
	}
}

// Now is the tracker's clock: the latest event or Advance.
func (t *Tracker) Now() uint64 { return t.nowNs }

// at returns the protocols' context for socket s.
func (t *Tracker) at(s *socket) *Ctx {
	t.ctx.s = s
	return &t.ctx
}

// drop finishes what a socket's end finishes and forgets the socket.
func (t *Tracker) drop(s *socket) {
	if s.conn != nil {
		s.conn.Close(t.at(s))
	}
	delete(t.socks, s.key)
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
	more := false
	for i := range t.protos {
		p := &t.protos[i]
		onPort := slices.Contains(p.ports, ev.Remote.Port()) || slices.Contains(p.ports, ev.Local.Port())
		switch p.parser.Detect(ev, onPort) {
		case Yes:
			s.kind, s.proto, s.conn = parsed, p, p.parser.Open(ev)
			t.verdict(s, l7.VerdictParse+l7.Verdict(i))
			return ev
		case More:
			more = true
		}
	}
	if more && ev.Proto == l7.TCP && len(ev.Payload) <= maxCarry {
		// "GE", "HTTP/1.1 2", a DNS-over-TCP length read on its own:
		// wait for the rest.
		s.early, s.earlyDir = append(s.early, ev.Payload...), ev.Dir
		return nil
	}
	s.undecided++
	if isTLSRecord(ev.Payload) || s.undecided >= t.cfg.UndecidedEvents {
		t.unparse(s)
	}
	return nil
}

// unparse stops parsing a socket and tells its source.
func (t *Tracker) unparse(s *socket) {
	s.kind, s.conn = unparsed, nil
	t.stats.Ignored++
	t.verdict(s, l7.VerdictIgnore)
}

func (t *Tracker) verdict(s *socket, v l7.Verdict) {
	if t.cfg.Verdict != nil {
		t.cfg.Verdict(s.key.id, s.key.src, v)
	}
}

// isTLSRecord recognizes a TLS handshake or application-data record header,
// which no plaintext protocol we parse starts with.
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x16 || b[0] == 0x17) && b[1] == 3 && b[2] <= 4
}

// CheckBounds reports the first state past its bound (for the fuzzers).
func (t *Tracker) CheckBounds() error {
	if len(t.socks) > t.cfg.MaxSockets || len(t.names.m) > t.cfg.MaxInterned {
		return fmt.Errorf("%d sockets, %d names", len(t.socks), len(t.names.m))
	}
	for _, s := range t.socks {
		if len(s.early) > maxCarry {
			return fmt.Errorf("early bytes over bounds: %d", len(s.early))
		}
		if s.conn == nil {
			continue
		}
		if pending, carried := s.conn.Held(); pending > t.cfg.MaxPending || carried > MaxCarried {
			return fmt.Errorf("%s state over bounds: %d pending, %d carried", s.proto.Name, pending, carried)
		}
	}
	return nil
}
