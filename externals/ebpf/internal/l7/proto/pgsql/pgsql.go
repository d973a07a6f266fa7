// Package pgsql is PostgreSQL's v3 wire protocol on the L7 protocol
// registry: detection from a socket's first bytes (a StartupMessage,
// SSLRequest or GSSENCRequest on any port; a typed query message on a
// PostgreSQL port), message framing of each direction (frame.go), and the
// matching of simple queries and extended-protocol sequences (Parse,
// Bind, Describe, Execute up to Sync) to their ReadyForQuery (conn.go),
// with the SQLSTATE of an ErrorResponse. Only the statement kind
// (sqlkind) is read from the query text; startup parameters and password
// messages are skipped unread. Records aggregate into pgsqlflow
// (l7/dbflow).
package pgsql

import (
	"encoding/binary"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name, and its l7net_enabled value.
const Name = "pgsql"

// Protocol is PostgreSQL's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	Ports:       []uint16{5432},
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Pgsqlflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return dbflow.New(c, measure.Pgsqlflow, dbflow.Fields{Op: "statement", Error: "sqlstate"})
	},
}

// The startup codes: protocol 3.0, and the requests for TLS and GSS
// encryption, which the server answers with one byte.
const (
	codeV3     = 3 << 16
	codeSSL    = 80877103
	codeGSSENC = 80877104
)

type parser struct{}

func (parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	if ev.Proto != l7.TCP {
		return stream.No
	}
	b := ev.Payload
	if len(b) < 8 {
		if len(b) > 0 && (b[0] == 0 || onPort) {
			return stream.More
		}
		return stream.No
	}
	l, code := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	switch {
	case code == codeV3 && l > 8 && l < 10000:
		return stream.Yes
	case (code == codeSSL || code == codeGSSENC) && l == 8:
		return stream.Yes
	case onPort && (b[0] == 'Q' || b[0] == 'P') && binary.BigEndian.Uint32(b[1:]) >= 5 && binary.BigEndian.Uint32(b[1:]) < maxMsg:
		return stream.Yes
	}
	return stream.No
}

func (parser) Open(ev *l7.Event) stream.Conn {
	b := ev.Payload
	startup := len(b) >= 8 && b[0] == 0
	return newConn(ev.Dir, startup)
}
