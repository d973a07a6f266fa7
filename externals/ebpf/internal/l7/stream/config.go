// Package stream turns capture events into exchanges. It keeps per-socket
// state, keyed by (socket id, source), and decides each socket's protocol
// from its first events among the registered Protocols (protocol.go); the
// protocol's Conn then parses the socket's events and matches requests to
// responses. The protocols live in their own folders (l7/proto/...), listed
// in l7/protocols. Every structure is bounded; whatever does not fit is
// counted in Stats.
//
// A Tracker is not safe for concurrent use: one goroutine (the ring buffer
// reader) owns it.
package stream

import (
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

// Config bounds and tunes a Tracker. Zero fields take the defaults.
type Config struct {
	// MaxSockets bounds the sockets tracked at once (default 16384). Events
	// of new sockets beyond it are counted in Stats.SocketsOverflow.
	MaxSockets int
	// MaxPending bounds the requests or queries awaiting an answer on one
	// socket (default 32).
	MaxPending int
	// IdleTimeout evicts a socket without events for this long (default
	// 2m); its open exchange is finished as on close.
	IdleTimeout time.Duration
	// DNSTimeout is how long a query waits for its answer before it is
	// reported with rcode -1 (default 5s).
	DNSTimeout time.Duration
	// UndecidedEvents is how many events a socket may carry before a
	// recognizable head before it is classified as unparsed (default 64):
	// enough to wait out the body of a large response on a connection
	// observed mid-stream.
	UndecidedEvents int
	// Protocols are the protocols parsed, in detection order (the first
	// Yes wins); l7/protocols.Default() lists the registered ones.
	Protocols []Protocol
	// Ports overrides a protocol's port hints by its name: for DNS, the
	// ports on which UDP and TCP traffic is read as DNS (default 53; a
	// query shaped exactly like a stub resolver's is recognized on any
	// port).
	Ports map[string][]uint16
	// Headers are the request headers (lower-case names) whose values a
	// later stage asks for (the trace headers, for netlog and tracing);
	// Authorization, Cookie and their kin are never copied.
	Headers []string
	// MaxInterned bounds the interned paths and names (default 8192).
	MaxInterned int
	// Verdict is called once when a socket is classified: with
	// l7.VerdictIgnore for a protocol we do not parse, so that its source
	// stops capturing it, or l7.VerdictParse plus the index of its protocol
	// in Protocols. May be nil.
	Verdict func(sockID uint64, src l7.Source, v l7.Verdict)
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxSockets, 16384)
	def(&c.MaxPending, 32)
	def(&c.UndecidedEvents, 64)
	def(&c.MaxInterned, 8192)
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.DNSTimeout <= 0 {
		c.DNSTimeout = 5 * time.Second
	}
}

// Sink receives finished exchanges of every protocol. The record is valid
// only during the call.
type Sink interface {
	Record(l7.Record)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(l7.Record)

func (f SinkFunc) Record(x l7.Record) { f(x) }

// Stats counts what the Tracker did and what it had to drop.
type Stats struct {
	Events          uint64 // events handled
	Sockets         int    // sockets tracked now
	SocketsOverflow uint64 // events of new sockets refused at MaxSockets
	Evicted         uint64 // sockets evicted idle
	Ignored         uint64 // sockets classified as unparsed (Ignore called)
	HTTPExchanges   uint64
	DNSExchanges    uint64
	DNSTimeouts     uint64
	PendingOverflow uint64 // requests or queries dropped at MaxPending
	Unanswered      uint64 // requests whose connection ended before a response
	Unmatched       uint64 // responses without a request (mid-stream)
	DNSErrors       uint64 // DNS payloads that did not parse
	InternOverflow  uint64 // strings allocated because the intern table was full
	// HTTP2Undecodable counts HTTP/2 header blocks that could not be
	// decoded: cut by the capture, or after an HPACK desync (a
	// connection older than the collector), not errors.
	HTTP2Undecodable uint64
}
