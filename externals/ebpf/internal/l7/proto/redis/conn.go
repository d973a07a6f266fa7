package redis

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// command is a command awaiting its reply.
type command struct {
	x      dbflow.Exchange
	lastNs uint64 // the event that finished the command
	bytes  uint64
}

// conn is one Redis socket, a client's or a server's: the direction its
// first command went is the command direction. Replies come in the order
// of the commands (pipelined or not), so they are matched first in,
// first out. RESP3 pushes and attributes are not replies.
type conn struct {
	cmdDir l7.Dir
	f      [2]framer // the command and the reply direction
	dbflow.Queue[command]
	// resync: a direction could not be framed; replies are dropped until
	// the next command starts afresh.
	resync bool

	// During Handle: the event and context the framer's callbacks see.
	ctx          *stream.Ctx
	ev           *l7.Event
	cmdStartNs   uint64
	replyStartNs uint64
}

func newConn(cmdDir l7.Dir) *conn {
	c := &conn{cmdDir: cmdDir}
	c.f[0].cmd = true
	return c
}

func (c *conn) outgoing() bool { return c.cmdDir == l7.DirSend }

func (c *conn) Handle(ctx *stream.Ctx, ev *l7.Event) {
	c.ctx, c.ev = ctx, ev
	defer func() { c.ctx, c.ev = nil, nil }()
	if ev.Dir == c.cmdDir {
		if c.resync {
			c.resync = false
			c.f[0].reset()
			c.f[1].reset()
		}
		if !c.f[0].push(ev.Payload, uint64(ev.TotalLen), c.cmdStart, c.cmdDone) {
			c.lose(ctx)
		}
		return
	}
	if c.resync {
		return
	}
	if !c.f[1].push(ev.Payload, uint64(ev.TotalLen), c.replyStart, c.replyDone) {
		c.lose(ctx)
	}
}

func (c *conn) cmdStart()   { c.cmdStartNs = c.ev.TimestampNs }
func (c *conn) replyStart() { c.replyStartNs = c.ev.TimestampNs }

func (c *conn) cmdDone(m *msg) {
	if c.Overflows(c.ctx) {
		return
	}
	c.Pending = append(c.Pending, command{
		x: dbflow.Exchange{Exchange: l7.Exchange{Conn: c.ctx.Conn(c.ev, c.outgoing()), Tid: c.ev.Tid, StartNs: c.cmdStartNs},
			Op: c.ctx.Intern(nameOr(m.name))},
		lastNs: c.ev.TimestampNs, bytes: m.bytes,
	})
}

// nameOr: a command array whose first element is not a bulk string
// names no command.
func nameOr(name []byte) []byte {
	if len(name) == 0 {
		return other
	}
	return name
}

func (c *conn) replyDone(m *msg) {
	if m.push {
		return
	}
	if len(c.Pending) == 0 {
		c.Orphan(c.ctx)
		return
	}
	p := &c.Pending[0]
	x := &p.x
	if m.err {
		x.Error = c.ctx.Intern(m.name)
	}
	if c.replyStartNs > p.lastNs {
		x.LatencyNs = c.replyStartNs - p.lastNs
	}
	x.EndNs = max(c.ev.TimestampNs, x.StartNs)
	if c.outgoing() {
		x.BytesWritten, x.BytesRead = p.bytes, m.bytes
	} else {
		x.BytesWritten, x.BytesRead = m.bytes, p.bytes
	}
	c.ctx.Emit(x)
	c.Pending = append(c.Pending[:0], c.Pending[1:]...)
}

// lose gives up the framing of both directions: the commands awaiting a
// reply are unanswered, and replies are ignored until the next command.
func (c *conn) lose(ctx *stream.Ctx) {
	c.Drop(ctx)
	c.resync = true
	c.f[0].reset()
	c.f[1].reset()
}

func (c *conn) Advance(*stream.Ctx, uint64) {}

// Close: commands still awaiting a reply are unanswered, not reported.
func (c *conn) Close(ctx *stream.Ctx) {
	c.Drop(ctx)
}

func (c *conn) Held() (pending, carried int) { return len(c.Pending), c.f[0].held() + c.f[1].held() }
