package memcached

import (
	"bytes"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

type pend struct {
	x               dbflow.Exchange
	answer          kind
	lastNs, firstNs uint64
	req, res        uint64
}

// conn is one memcached socket, a client's or a server's: the direction
// of its first command is the command direction.
type conn struct {
	cmdDir l7.Dir
	fe, be lines
	dbflow.Queue[pend]
	resync bool
	cur    pend // the command whose data block is being skipped
	ctx    *stream.Ctx
	ev     *l7.Event
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
		if !c.fe.push(ev.Payload, uint64(ev.TotalLen), c.command) {
			c.lose(ctx)
		}
		return
	}
	if c.resync || c.be.push(ev.Payload, uint64(ev.TotalLen), c.response) {
		return
	}
	// memcached writes each retrieval's answer with one sendmsg, of more
	// iovecs (VALUE line, data, ..., END) than the capture gathers: a cut
	// answer ends with its event.
	if ev.Truncated() && len(c.Pending) > 0 && c.Pending[0].answer == untilEnd {
		c.Pending[0].res = uint64(ev.TotalLen)
		c.finish()
		c.be.reset()
		return
	}
	c.lose(ctx)
}

// command reads one command line: its name, its data block's size and
// noreply; never its key.
func (c *conn) command(b []byte, size uint64) uint64 {
	name, last := field(b, 0), lastField(b)
	if len(name) == 0 {
		return 0
	}
	cmd, ok := commands[string(name)]
	if !ok {
		cmd = command{"OTHER", oneLine, false}
	}
	var data uint64
	if cmd.storage {
		data = number(field(b, 4)) // set k flags exptime bytes
	}
	if cmd.answer == noAnswer || bytes.Equal(last, []byte("noreply")) {
		return data
	}
	if c.Overflows(c.ctx) {
		return data
	}
	c.Pending = append(c.Pending, pend{
		x:      dbflow.Exchange{Exchange: l7.Exchange{Conn: c.ctx.Conn(c.ev, c.outgoing()), Tid: c.ev.Tid, StartNs: c.ev.TimestampNs}, Op: cmd.name},
		answer: cmd.answer, lastNs: c.ev.TimestampNs, req: size + data + min(data, 1)*2,
	})
	return data
}

// response reads one response line; a VALUE line's data block is
// skipped.
func (c *conn) response(b []byte, size uint64) uint64 {
	if len(c.Pending) == 0 {
		c.Orphan(c.ctx)
		return 0
	}
	u := &c.Pending[0]
	u.res += size
	if u.firstNs == 0 {
		u.firstNs = c.ev.TimestampNs
	}
	word, rest, _ := bytes.Cut(b, []byte(" "))
	switch string(word) {
	case "ERROR", "CLIENT_ERROR", "SERVER_ERROR":
		u.x.Error = c.ctx.Intern(word)
	case "VALUE": // VALUE key flags bytes [cas]
		if u.answer == untilEnd {
			if f := field(rest, 2); len(f) > 0 {
				n := number(f)
				u.res += n + 2
				return n
			}
		}
	case "STAT":
		if u.answer == untilEnd {
			return 0
		}
	case "END":
	default:
		if u.answer == untilEnd {
			return 0
		}
	}
	c.finish()
	return 0
}

// field returns the i-th space-separated field of a line, without
// allocating (bytes.Fields would, per command).
func field(b []byte, i int) []byte {
	for {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		end := bytes.IndexByte(b, ' ')
		if end < 0 {
			end = len(b)
		}
		if i == 0 || end == len(b) {
			if i == 0 {
				return b[:end]
			}
			return nil
		}
		b, i = b[end:], i-1
	}
}

func lastField(b []byte) []byte {
	b = bytes.TrimRight(b, " ")
	return b[bytes.LastIndexByte(b, ' ')+1:]
}

// number parses a decimal of at most 10 digits (a data block's size); 0
// when it is not one.
func number(b []byte) uint64 {
	if len(b) == 0 || len(b) > 10 {
		return 0
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

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

func (c *conn) lose(ctx *stream.Ctx) {
	c.Drop(ctx)
	c.resync = true
	c.fe.reset()
	c.be.reset()
}

func (c *conn) Advance(*stream.Ctx, uint64) {}

func (c *conn) Close(ctx *stream.Ctx) {
	c.Drop(ctx)
}

func (c *conn) Held() (pending, carried int) { return len(c.Pending), c.fe.held() + c.be.held() }
