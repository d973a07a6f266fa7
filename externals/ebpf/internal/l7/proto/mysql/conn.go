package mysql

import (
	"encoding/binary"
	"strconv"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/sqlkind"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// maxStmts bounds the prepared statements remembered per socket.
const maxStmts = 256

const (
	capSSL          = 0x800
	capDeprecateEOF = 0x01000000
	moreResults     = 0x0008
)

type phase uint8

const (
	phHandshake phase = iota // the server's handshake is next
	phResponse               // the client's handshake response is next
	phAuth                   // authentication, until the server's OK or ERR
	phCommand
)

// where a response is.
type rstate uint8

const (
	rsFirst  rstate = iota // OK, ERR or a result set's column count
	rsCols                 // column definitions
	rsColEOF               // the EOF after them (without CLIENT_DEPRECATE_EOF)
	rsRows                 // rows, until EOF/OK
	rsPrep                 // COM_STMT_PREPARE's parameter and column definitions
)

type pend struct {
	x               dbflow.Exchange
	cmd             byte
	lastNs, firstNs uint64
	req, res        uint64
	left            uint64 // definitions still to come
	state           rstate
}

// conn is one MySQL socket, a client's or a server's. Commands are
// answered in order, so they are matched first in, first out.
type conn struct {
	cmdDir       l7.Dir
	fe, be       framer
	phase        phase
	serverCaps   uint32
	deprecateEOF bool
	dbflow.Queue[pend]
	resync bool
	stmts  map[uint32]string // statement id → kind
	ctx    *stream.Ctx
	ev     *l7.Event
}

func newConn(cmdDir l7.Dir, handshake bool) *conn {
	c := &conn{cmdDir: cmdDir, phase: phCommand}
	if handshake {
		c.phase = phHandshake
	}
	return c
}

func (c *conn) outgoing() bool { return c.cmdDir == l7.DirSend }

func (c *conn) Handle(ctx *stream.Ctx, ev *l7.Event) {
	c.ctx, c.ev = ctx, ev
	defer func() { c.ctx, c.ev = nil, nil }()
	if ev.Dir == c.cmdDir {
		if c.resync {
			c.resync = false
			c.fe.reset()
			c.be.reset()
		}
		if !c.fe.push(ev.Payload, uint64(ev.TotalLen), c.client) {
			c.lose(ctx)
		}
		return
	}
	if !c.resync && !c.be.push(ev.Payload, uint64(ev.TotalLen), c.server) {
		c.lose(ctx)
	}
}

// client handles one packet of the client.
func (c *conn) client(seq byte, body []byte, n, size uint64) {
	switch c.phase {
	case phResponse: // only the capability flags are read
		if len(body) >= 4 {
			caps := binary.LittleEndian.Uint32(body)
			if caps&capSSL != 0 && n == 32 {
				c.ctx.Unparse() // TLS follows
				return
			}
			c.deprecateEOF = caps&c.serverCaps&capDeprecateEOF != 0
		}
		c.phase = phAuth
		return
	case phAuth, phHandshake: // auth data: skipped unread
		return
	}
	if seq != 0 || len(body) == 0 {
		return // a continuation (LOAD DATA LOCAL's file)
	}
	kind := sqlkind.Other
	switch body[0] {
	case comQuit, comStmtSend:
		return
	case comStmtClose:
		if len(body) >= 5 {
			delete(c.stmts, binary.LittleEndian.Uint32(body[1:]))
		}
		return
	case comQuery, comStmtPrepare:
		kind = sqlkind.Kind(body[1:])
	case comStmtExecute:
		if len(body) >= 5 {
			if k, ok := c.stmts[binary.LittleEndian.Uint32(body[1:])]; ok {
				kind = k
			}
		}
	}
	if c.Overflows(c.ctx) {
		return
	}
	c.Pending = append(c.Pending, pend{
		x:   dbflow.Exchange{Exchange: l7.Exchange{Conn: c.ctx.Conn(c.ev, c.outgoing()), Tid: c.ev.Tid, StartNs: c.ev.TimestampNs}, Op: kind},
		cmd: body[0], lastNs: c.ev.TimestampNs, req: size,
	})
}

// server handles one packet of the server.
func (c *conn) server(seq byte, body []byte, n, size uint64) {
	switch c.phase {
	case phHandshake:
		c.serverCaps = handshakeCaps(body)
		c.phase = phResponse
		return
	case phAuth:
		if len(body) > 0 && (body[0] == 0x00 || body[0] == 0xff) {
			c.phase = phCommand
		}
		return
	case phResponse:
		return
	}
	if len(c.Pending) == 0 {
		if seq == 1 {
			c.Orphan(c.ctx)
		}
		return
	}
	u := &c.Pending[0]
	u.res += size
	if u.firstNs == 0 {
		u.firstNs = c.ev.TimestampNs
	}
	if len(body) == 0 {
		c.lose(c.ctx)
		return
	}
	switch u.state {
	case rsFirst:
		switch {
		case body[0] == 0xff:
			u.x.Error = c.ctx.Intern(errClass(body))
			c.finish()
		case body[0] == 0x00 && u.cmd == comStmtPrepare:
			if len(body) < 9 {
				c.finish()
				return
			}
			id := binary.LittleEndian.Uint32(body[1:])
			cols, params := uint64(binary.LittleEndian.Uint16(body[5:])), uint64(binary.LittleEndian.Uint16(body[7:]))
			if c.stmts == nil || len(c.stmts) >= maxStmts {
				c.stmts = map[uint32]string{}
			}
			c.stmts[id] = u.x.Op
			u.left = cols + params
			if !c.deprecateEOF {
				u.left += min(cols, 1) + min(params, 1)
			}
			u.state = rsPrep
			if u.left == 0 {
				c.finish()
			}
		case body[0] == 0x00 || body[0] == 0xfb || u.cmd != comQuery && u.cmd != comStmtExecute:
			if body[0] == 0x00 && okStatus(body)&moreResults != 0 {
				return
			}
			c.finish()
		default:
			cols, _ := lenenc(body)
			u.left, u.state = cols, rsCols
		}
	case rsCols:
		if u.left--; u.left == 0 {
			u.state = rsColEOF
			if c.deprecateEOF {
				u.state = rsRows
			}
		}
	case rsColEOF:
		u.state = rsRows
	case rsRows:
		switch {
		case body[0] == 0xff:
			u.x.Error = c.ctx.Intern(errClass(body))
			c.finish()
		case body[0] == 0xfe && (n < 9 || c.deprecateEOF && n < 0xffffff):
			status := okStatus(body)
			if !c.deprecateEOF && len(body) >= 5 {
				status = binary.LittleEndian.Uint16(body[3:])
			}
			if status&moreResults != 0 {
				u.state = rsFirst
				return
			}
			c.finish()
		}
	case rsPrep:
		if u.left--; u.left == 0 {
			c.finish()
		}
	}
}

// finish reports the first pending command.
func (c *conn) finish() {
	u := &c.Pending[0]
	x := &u.x
	if u.firstNs > u.lastNs {
		x.LatencyNs = u.firstNs - u.lastNs
	}
	x.EndNs = max(c.ev.TimestampNs, x.StartNs)
	if c.outgoing() {
		x.BytesWritten, x.BytesRead = u.req, u.res
	} else {
		x.BytesWritten, x.BytesRead = u.res, u.req
	}
	c.ctx.Emit(x)
	c.Pending = append(c.Pending[:0], c.Pending[1:]...)
}

// errClass is an ERR packet's "code:SQLSTATE" (1062:23000), or its code
// alone before protocol 4.1's marker.
func errClass(body []byte) []byte {
	if len(body) < 3 {
		return []byte("0")
	}
	out := strconv.AppendUint(nil, uint64(binary.LittleEndian.Uint16(body[1:])), 10)
	if len(body) >= 9 && body[3] == '#' {
		out = append(append(out, ':'), body[4:9]...)
	}
	return out
}

// okStatus reads an OK packet's status flags (after two length-encoded
// integers); 0 when not captured.
func okStatus(body []byte) uint16 {
	b := body[1:]
	for range 2 {
		_, n := lenenc(b)
		if n == 0 || n > len(b) {
			return 0
		}
		b = b[n:]
	}
	if len(b) < 2 {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// lenenc reads a length-encoded integer: its value and its size (0: not
// enough bytes).
func lenenc(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	var size int
	switch b[0] {
	case 0xfc:
		size = 3
	case 0xfd:
		size = 4
	case 0xfe:
		size = 9
	default:
		return uint64(b[0]), 1
	}
	if len(b) < size {
		return 0, 0
	}
	var v uint64
	for i := size - 1; i >= 1; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, size
}

// handshakeCaps reads the server's capability flags from its handshake.
func handshakeCaps(b []byte) uint32 {
	if len(b) < 1 {
		return 0
	}
	i := 1
	for i < len(b) && b[i] != 0 {
		i++
	}
	i += 1 + 4 + 8 + 1 // NUL, connection id, auth data 1, filler
	if len(b) < i+2 {
		return 0
	}
	caps := uint32(binary.LittleEndian.Uint16(b[i:]))
	if len(b) >= i+7 {
		caps |= uint32(binary.LittleEndian.Uint16(b[i+5:])) << 16
	}
	return caps
}

func (c *conn) lose(ctx *stream.Ctx) {
	c.Drop(ctx)
	c.resync = true
	if c.phase != phCommand {
		c.phase = phCommand
	}
	c.fe.reset()
	c.be.reset()
}

func (c *conn) Advance(*stream.Ctx, uint64) {}

func (c *conn) Close(ctx *stream.Ctx) {
	c.Drop(ctx)
}

func (c *conn) Held() (pending, carried int) { return len(c.Pending), c.fe.held() + c.be.held() }
