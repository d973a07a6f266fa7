// Package memcached is memcached's text protocol on the L7 protocol
// registry: detection of a command line from a socket's first bytes,
// line framing of each direction with data blocks skipped by their byte
// count (lines.go), and commands matched to their responses in order
// (conn.go): one line for most, up to END for retrievals and stats, none
// for noreply. Only the command name and the error class are read: keys
// and values are never copied. Records aggregate into memcachedflow.
package memcached

import (
	"bytes"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name, and its l7net_enabled value.
const Name = "memcached"

// Protocol is memcached's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	Ports:       []uint16{11211},
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Memcachedflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return dbflow.New(c, measure.Memcachedflow, dbflow.Fields{Op: "command", Error: "error"})
	},
}

// kind is how a command is answered.
type kind uint8

const (
	oneLine  kind = iota // STORED, DELETED, a number...
	untilEnd             // VALUE... END, STAT... END
	noAnswer             // quit
)

// command says of a command name: its answer, and whether a data block
// follows its line (its last number, or the one before cas's).
type command struct {
	name    string
	answer  kind
	storage bool
}

var commands = map[string]command{}

func init() {
	for _, n := range []string{"set", "add", "replace", "append", "prepend", "cas"} {
		commands[n] = command{n, oneLine, true}
	}
	for _, n := range []string{"get", "gets", "gat", "gats", "stats"} {
		commands[n] = command{n, untilEnd, false}
	}
	for _, n := range []string{"delete", "incr", "decr", "touch", "flush_all", "version", "verbosity", "mn", "mg", "md", "ma"} {
		commands[n] = command{n, oneLine, false}
	}
	commands["quit"] = command{"quit", noAnswer, false}
}

type parser struct{}

// Detect: a whole command line of a known command; on the memcached
// port a prefix of one waits for the rest.
func (parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	if ev.Proto != l7.TCP {
		return stream.No
	}
	b := ev.Payload
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 {
		if onPort && len(b) < 256 {
			return stream.More
		}
		return stream.No
	}
	name, _, _ := bytes.Cut(b[:end], []byte(" "))
	if _, ok := commands[string(name)]; ok {
		return stream.Yes
	}
	return stream.No
}

func (parser) Open(ev *l7.Event) stream.Conn { return &conn{cmdDir: ev.Dir} }
