// Package mysql is the MySQL/MariaDB client/server protocol on the L7
// protocol registry: detection from the server's initial handshake (v10)
// on any port, or a command packet on a MySQL port; packet framing of
// each direction (frame.go); and commands matched to their responses in
// order (conn.go): COM_QUERY, COM_STMT_PREPARE and COM_STMT_EXECUTE (with
// the prepared statement's kind), and the one-packet commands; OK, ERR
// (with its code and SQLSTATE) and result sets followed to their end.
// The handshake response and authentication packets are skipped unread
// (only the client's capability flags are read); only the statement kind
// (sqlkind) is read from the query text. Records aggregate into
// mysqlflow (l7/dbflow).
package mysql

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name, and its l7net_enabled value.
const Name = "mysql"

// Protocol is MySQL's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	Ports:       []uint16{3306},
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Mysqlflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return dbflow.New(c, measure.Mysqlflow, dbflow.Fields{Op: "statement", Error: "error"})
	},
}

// Commands (the first payload byte of a client's command packet).
const (
	comQuit        = 0x01
	comQuery       = 0x03
	comStmtPrepare = 0x16
	comStmtExecute = 0x17
	comStmtSend    = 0x18 // COM_STMT_SEND_LONG_DATA: no response
	comStmtClose   = 0x19 // no response
)

type parser struct{}

// Detect: the server's initial handshake, protocol 10 and a printable
// version ("10.11.6-MariaDB..."), seen by either end before anything else
// is sent; on a MySQL port also a command packet (mid-stream).
func (parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	if ev.Proto != l7.TCP {
		return stream.No
	}
	b := ev.Payload
	if len(b) < 6 {
		if onPort || len(b) > 0 && b[len(b)-1] == 0 {
			return stream.More
		}
		return stream.No
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if b[3] == 0 && b[4] == 10 && n >= 30 && n < 1024 && isVersion(b[5:min(len(b), 4+n)]) {
		return stream.Yes
	}
	if onPort && b[3] == 0 && n >= 1 && (b[4] == comQuery || b[4] == comStmtPrepare) {
		return stream.Yes
	}
	return stream.No
}

// isVersion: digits and dots first, then printable bytes up to a NUL.
func isVersion(b []byte) bool {
	for i, c := range b {
		switch {
		case c == 0:
			return i >= 3
		case i == 0 && (c < '0' || c > '9'):
			return false
		case c < 0x20 || c > 0x7e:
			return false
		}
	}
	return false
}

// Open: the handshake's receiver is the client; a mid-stream command's
// sender is.
func (parser) Open(ev *l7.Event) stream.Conn {
	b := ev.Payload
	handshake := b[4] == 10
	cmdDir := ev.Dir
	if handshake {
		cmdDir = opposite(ev.Dir)
	}
	return newConn(cmdDir, handshake)
}

func opposite(d l7.Dir) l7.Dir {
	if d == l7.DirSend {
		return l7.DirRecv
	}
	return l7.DirSend
}
