package stream

import (
	"net/netip"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Protocol is one L7 protocol's entry in the registry (package
// l7/protocols lists them). Each lives in its own folder with its
// detection, per-connection state, parser, request/response matcher and
// measurement, so that adding a protocol touches its folder and one
// registry line.
type Protocol struct {
	// Name is the protocol's key: Exchange.Protocol, Config.Ports and the
	// engine's list of enabled protocols ("http", "dns", ...).
	Name string
	// Ports are the default port hints (Config.Ports overrides them).
	Ports []uint16
	// New returns the protocol's parser for one Tracker; it may hold
	// scratch state, since a Tracker is used by one goroutine.
	New func(cfg Config) Parser
	// Measurement is what Aggregate's points declare; nil with no points.
	Measurement *measure.Measurement
	// Aggregate returns the per-interval aggregator of the protocol's
	// records; nil when the protocol makes no points of its own.
	Aggregate func(AggregateConfig) Aggregator
}

// Verdict is what a protocol says of a socket's first bytes.
type Verdict uint8

const (
	// No: not this protocol.
	No Verdict = iota
	// More: a prefix of this protocol's first message; the bytes are kept
	// and prepended to the socket's next event in the same direction.
	More
	// Yes: this protocol; Open makes the socket's state.
	Yes
)

// Parser detects and opens the sockets of one protocol.
type Parser interface {
	// Detect looks at one of a socket's first events (with the bytes of
	// earlier More verdicts prepended). onPort: either end's port is one
	// of the protocol's ports.
	Detect(ev *l7.Event, onPort bool) Verdict
	// Open returns the state of a socket Detect said Yes to; the event
	// is then handed to its Handle.
	Open(ev *l7.Event) Conn
}

// Conn is a protocol's state of one socket.
type Conn interface {
	// Handle parses one event and emits what it finishes (Ctx.Emit).
	Handle(c *Ctx, ev *l7.Event)
	// Advance moves the clock: exchanges past their timeout are finished.
	Advance(c *Ctx, nowNs uint64)
	// Close: the socket is gone (closed or evicted). Finish what its end
	// finishes; count what it leaves unanswered.
	Close(c *Ctx)
	// Held reports the exchanges awaiting an answer and the bytes carried
	// between events, which must stay within Config.MaxPending and
	// MaxCarried.
	Held() (pending, carried int)
}

// MaxCarried bounds the bytes a Conn carries between events (an
// incomplete head per direction).
const MaxCarried = 2 * maxCarry

// maxCarry bounds the bytes of an undecided socket's first events kept
// for its next one.
const maxCarry = 1024

// Ctx is what a Conn is given to work with: the Tracker, seen from the
// socket whose event is handled.
type Ctx struct {
	t *Tracker
	s *socket
}

// Config is the Tracker's configuration.
func (c *Ctx) Config() *Config { return &c.t.cfg }

// Stats are the Tracker's counters, for the protocol to count in.
func (c *Ctx) Stats() *Stats { return &c.t.stats }

// Emit hands a finished exchange to the sink; x need not outlive the call.
func (c *Ctx) Emit(x l7.Record) {
	b := x.Base()
	b.Protocol, b.Source, b.SockID = c.s.proto.Name, c.s.key.src, c.s.key.id
	c.t.sink.Record(x)
}

// Intern returns a shared string equal to b (bounded, counted).
func (c *Ctx) Intern(b []byte) string { return c.t.names.get(b) }

// Scratch is a buffer shared by the Tracker's protocols for the span of
// one Handle call.
func (c *Ctx) Scratch() *[]byte { return &c.t.scratch }

// Conn returns the connection identity of an exchange that ev starts.
func (c *Ctx) Conn(ev *l7.Event, outgoing bool) l7.ConnInfo {
	s := c.s
	if s.commStr == "" || s.comm != ev.Comm {
		s.comm, s.commStr = ev.Comm, ev.CommString()
	}
	return l7.ConnInfo{Pid: ev.Pid, Comm: s.commStr, Proto: ev.Proto, Local: ev.Local, Remote: ev.Remote, Outgoing: outgoing}
}

// Unparse stops parsing the socket (a protocol switch, such as HTTP's 101)
// and tells the capture.
func (c *Ctx) Unparse() { c.t.unparse(c.s) }

// Aggregator sums one protocol's records per interval into points.
type Aggregator interface {
	Add(x l7.Record)
	// Flush returns the interval's points stamped t and starts the next.
	Flush(t time.Time) []lp.Point
	// Overflow counts records dropped at the series bound.
	Overflow() uint64
}

// AggregateConfig is what an Aggregator is built with.
type AggregateConfig struct {
	// Tags builds the connection-level tags.
	Tags l7.TagFunc
	// Domains names addresses (dst_domain), nil when unknown.
	Domains Resolver
	// MaxSeries bounds the series per interval (0: the default, 10000).
	MaxSeries int
	// Stage selects and enriches each series at flush; nil observes all.
	Stage l7.Stage
}

// Resolver names addresses from DNS answers (domains.Cache).
type Resolver interface {
	Lookup(netip.Addr) (string, bool)
}

// Now is the Tracker's clock (CLOCK_MONOTONIC ns).
func (c *Ctx) Now() uint64 { return c.t.nowNs }
