// Package redis is Redis (RESP2 and RESP3) on the L7 protocol registry:
// detection of a command from a socket's first bytes (an array of bulk
// strings on any port; an inline command on a Redis port), the command
// and reply framing of each direction (resp.go), commands matched to
// replies in order, pipelined too (conn.go), and their aggregation into
// redisflow (l7/dbflow). Only command names and error prefixes are read:
// keys, values and AUTH's password are never copied.
package redis

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name, and its l7net_enabled value.
const Name = "redis"

// Protocol is Redis's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	Ports:       []uint16{6379},
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Redisflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return dbflow.New(c, measure.Redisflow, dbflow.Fields{Op: "command", Error: "error"})
	},
}

type parser struct{}

// Detect: a command, as every client library sends it (an array whose
// first element is a bulk string naming it), on any port; on a Redis
// port also an inline command ("PING\r\n"). Replies alone do not decide:
// a connection seen mid-stream waits for its next command.
func (parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	if ev.Proto != l7.TCP {
		return stream.No
	}
	return detect(ev.Payload, onPort)
}

func detect(b []byte, onPort bool) stream.Verdict {
	if len(b) > 0 && b[0] == '*' {
		return arrayCommand(b)
	}
	if !onPort {
		return stream.No
	}
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c == ' ' || c == '\r' || c == '\n'):
			return stream.Yes
		default:
			return stream.No
		}
		if i >= maxName {
			return stream.No
		}
	}
	return stream.No
}

// arrayCommand checks "*<n>\r\n$<m>\r\n<m letters>\r\n"; a prefix of it
// is More.
func arrayCommand(b []byte) stream.Verdict {
	i := 1
	digits := func() (int, bool) {
		n, start := 0, i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 6 {
			n, i = n*10+int(b[i]-'0'), i+1
		}
		return n, i > start
	}
	expect := func(c byte) stream.Verdict {
		switch {
		case i >= len(b):
			return stream.More
		case b[i] != c:
			return stream.No
		}
		i++
		return stream.Yes
	}
	n, ok := digits()
	if i == len(b) {
		return stream.More
	}
	if !ok || n == 0 {
		return stream.No
	}
	for _, c := range []byte("\r\n$") {
		if v := expect(c); v != stream.Yes {
			return v
		}
	}
	m, ok := digits()
	if i == len(b) {
		return stream.More
	}
	if !ok || m == 0 || m > maxName {
		return stream.No
	}
	for _, c := range []byte("\r\n") {
		if v := expect(c); v != stream.Yes {
			return v
		}
	}
	for range m {
		if i >= len(b) {
			return stream.More
		}
		if c := b[i] | 0x20; c < 'a' || c > 'z' {
			return stream.No
		}
		i++
	}
	if v := expect('\r'); v != stream.Yes {
		return v
	}
	return expect('\n')
}

func (parser) Open(ev *l7.Event) stream.Conn { return newConn(ev.Dir) }
