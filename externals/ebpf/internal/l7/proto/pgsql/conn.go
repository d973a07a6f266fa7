package pgsql

import (
	"bytes"
	"encoding/binary"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/sqlkind"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// maxStmts bounds the named prepared statements remembered per socket.
const maxStmts = 256

// unit is one request awaiting its ReadyForQuery: a simple query, or an
// extended-protocol sequence up to its Sync.
type unit struct {
	x        dbflow.Exchange
	internal bool   // the startup and authentication: not reported
	lastNs   uint64 // the event that finished the request
	firstNs  uint64 // the first event of its answer
	reqBytes uint64
	resBytes uint64
}

// conn is one PostgreSQL socket, a client's or a server's: the frontend
// direction is that of the first message. The server answers requests in
// order, each ending with ReadyForQuery ('Z'), so they are matched first
// in, first out (pipelined extended queries too).
type conn struct {
	feDir  l7.Dir
	fe, be framer
	dbflow.Queue[unit]
	resync   bool // framing lost: answers are ignored until the next request
	awaitEnc bool // an SSLRequest or GSSENCRequest awaits its one-byte answer

	cur      unit // the extended sequence being built
	curOpen  bool
	unnamed  string            // the kind of the unnamed prepared statement
	stmts    map[string]string // named prepared statement → kind
	ctx      *stream.Ctx
	ev       *l7.Event
	outgoing bool
}

func newConn(feDir l7.Dir, startup bool) *conn {
	c := &conn{feDir: feDir, outgoing: feDir == l7.DirSend}
	c.fe.untyped = startup
	return c
}

func (c *conn) Handle(ctx *stream.Ctx, ev *l7.Event) {
	c.ctx, c.ev = ctx, ev
	defer func() { c.ctx, c.ev = nil, nil }()
	payload, total := ev.Payload, uint64(ev.TotalLen)
	if ev.Dir == c.feDir {
		if c.resync {
			c.resync = false
			c.fe.reset()
			c.be.reset()
		}
		if !c.fe.push(payload, total, c.frontend) {
			c.lose(ctx)
		}
		return
	}
	if c.resync {
		return
	}
	if c.awaitEnc && len(payload) > 0 {
		c.awaitEnc = false
		if payload[0] != 'N' { // 'S' or 'G': encrypted from here on
			ctx.Unparse()
			return
		}
		payload, total = payload[1:], total-1
	}
	if !c.be.push(payload, total, c.backend) {
		c.lose(ctx)
	}
}

// frontend handles one message of the client.
func (c *conn) frontend(typ byte, body []byte, size uint64) {
	if c.fe.untyped {
		code := uint32(0)
		if len(body) >= 4 {
			code = binary.BigEndian.Uint32(body)
		}
		if code == codeSSL || code == codeGSSENC {
			c.awaitEnc = true
			return
		}
		// The StartupMessage: its parameters (user, database) are not read.
		c.fe.untyped = false
		c.push(unit{internal: true})
		return
	}
	c.cur.reqBytes += size
	switch typ {
	case 'Q':
		c.cur.x.Op = sqlkind.Kind(body)
		c.push(c.cur)
		c.cur, c.curOpen = unit{}, false
	case 'P': // name\0 query\0 ...
		name, query, _ := bytes.Cut(body, []byte{0})
		kind := sqlkind.Kind(query)
		if len(name) == 0 {
			c.unnamed = kind
		} else {
			if c.stmts == nil || len(c.stmts) >= maxStmts {
				c.stmts = map[string]string{}
			}
			c.stmts[string(name)] = kind
		}
		c.op(kind)
	case 'B': // portal\0 statement\0 ...
		_, rest, _ := bytes.Cut(body, []byte{0})
		stmt, _, _ := bytes.Cut(rest, []byte{0})
		kind := c.unnamed
		if len(stmt) > 0 {
			kind = c.stmts[string(stmt)]
		}
		c.op(kind)
	case 'D', 'E', 'C', 'H':
		c.curOpen = true
	case 'S':
		if c.cur.x.Op == "" {
			c.cur.x.Op = sqlkind.Other
		}
		c.push(c.cur)
		c.cur, c.curOpen = unit{}, false
	case 'F': // a function call, answered up to ReadyForQuery
		c.cur.x.Op = sqlkind.Other
		c.push(c.cur)
		c.cur, c.curOpen = unit{}, false
	default: // 'p' (password, SASL: skipped unread), 'X', COPY data
		c.cur.reqBytes -= size
	}
}

func (c *conn) op(kind string) {
	c.curOpen = true
	if c.cur.x.Op == "" && kind != "" {
		c.cur.x.Op = kind
	}
}

// push queues a finished request.
func (c *conn) push(u unit) {
	if c.Overflows(c.ctx) {
		return
	}
	u.x.Exchange = l7.Exchange{Conn: c.ctx.Conn(c.ev, c.outgoing), Tid: c.ev.Tid, StartNs: c.ev.TimestampNs}
	u.lastNs = c.ev.TimestampNs
	c.Pending = append(c.Pending, u)
}

// backend handles one message of the server.
func (c *conn) backend(typ byte, body []byte, size uint64) {
	if len(c.Pending) == 0 {
		if typ == 'Z' {
			c.Orphan(c.ctx)
		}
		return
	}
	u := &c.Pending[0]
	u.resBytes += size
	if u.firstNs == 0 {
		u.firstNs = c.ev.TimestampNs
	}
	switch typ {
	case 'E':
		if u.x.Error == "" {
			u.x.Error = c.ctx.Intern(sqlstate(body))
		}
	case 'Z':
		if !u.internal {
			x := &u.x
			if u.firstNs > u.lastNs {
				x.LatencyNs = u.firstNs - u.lastNs
			}
			x.EndNs = max(c.ev.TimestampNs, x.StartNs)
			if c.outgoing {
				x.BytesWritten, x.BytesRead = u.reqBytes, u.resBytes
			} else {
				x.BytesWritten, x.BytesRead = u.resBytes, u.reqBytes
			}
			c.ctx.Emit(x)
		}
		c.Pending = append(c.Pending[:0], c.Pending[1:]...)
	}
}

// sqlstate finds the code field ('C') of an ErrorResponse: five digits or
// upper-case letters; XX000 (internal error) when it was not captured.
func sqlstate(body []byte) []byte {
	for len(body) > 0 && body[0] != 0 {
		code := body[0]
		v, rest, ok := bytes.Cut(body[1:], []byte{0})
		if code == 'C' && ok && len(v) == 5 && isState(v) {
			return v
		}
		body = rest
	}
	return []byte("XX000")
}

func isState(v []byte) bool {
	for _, ch := range v {
		if !(ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return true
}

// lose gives up the framing: pending requests are unanswered, answers
// are ignored until the next request.
func (c *conn) lose(ctx *stream.Ctx) {
	c.Drop(ctx)
	c.resync, c.awaitEnc = true, false
	c.cur, c.curOpen = unit{}, false
	c.fe.reset()
	c.be.reset()
}

func (c *conn) Advance(*stream.Ctx, uint64) {}

func (c *conn) Close(ctx *stream.Ctx) {
	c.Drop(ctx)
}

func (c *conn) Held() (pending, carried int) { return len(c.Pending), c.fe.held() + c.be.held() }
