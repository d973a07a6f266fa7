package http2

import (
	"golang.org/x/net/http2/hpack"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

const (
	// defaultTableSize is SETTINGS_HEADER_TABLE_SIZE's initial value.
	defaultTableSize = 4096
	// maxString bounds one decoded header string, so a hostile block
	// cannot make HPACK buffer without end.
	maxString = 16 << 10
)

// exchange is one stream, seen from the local end.
type exchange struct {
	l7.HTTPExchange
	reqEndNs  uint64 // the latest event that carried the request
	respNs    uint64 // the first event that carried the response
	responded bool
	reqDone   bool
	// reqSeen: the request's header block was decoded. A client's send
	// event fires when the write returns, and on loopback the response can
	// be read before that: a response that ends first waits (ended) for
	// its request's block, which stream ids tie to it.
	reqSeen bool
	ended   bool
}

// side is one direction of the connection: its frames and its HPACK
// decoder, whose dynamic table only this direction's header blocks fill.
type side struct {
	w   walker
	dec *hpack.Decoder
	// bad: the HPACK state is lost; the direction's header blocks are
	// counted as undecodable from then on, never guessed at.
	bad bool
	// into is the stream whose header block is being decoded (nil: a block
	// of a stream we do not follow, decoded only to keep the table).
	into    *exchange
	blockOK bool // the block decoded so far without error
	// cutBlock: the block being walked is the one whose loss made the
	// state bad (counted once, at the loss).
	cutBlock bool
}

// conn is an HTTP/2 connection seen from one end.
type conn struct {
	client bool // the local end sent the preface
	send   side
	recv   side
	// streams are the exchanges under way, by stream id (at most
	// Config.MaxPending).
	streams map[uint32]*exchange
	started bool // the preface was skipped

	// for the duration of Handle
	ctx *stream.Ctx
	ev  *l7.Event
	cur *side
}

func newConn(client bool) *conn {
	c := &conn{client: client, streams: map[uint32]*exchange{}}
	for _, s := range []*side{&c.send, &c.recv} {
		s.dec = hpack.NewDecoder(defaultTableSize, c.field)
		s.dec.SetMaxStringLength(maxString)
	}
	return c
}

// Handle walks one event's frames.
func (c *conn) Handle(ctx *stream.Ctx, ev *l7.Event) {
	if ev.Dir != l7.DirSend && ev.Dir != l7.DirRecv {
		return
	}
	c.ctx, c.ev = ctx, ev
	c.cur = &c.recv
	if ev.Dir == l7.DirSend {
		c.cur = &c.send
	}
	b := ev.Payload
	lost := ev.TotalLen - min(ev.TotalLen, uint32(len(b)))
	fromClient := (ev.Dir == l7.DirSend) == c.client
	if fromClient && !c.started {
		// The preface starts the client's first event (Detect saw it).
		n := min(len(Preface), len(b))
		b, c.started = b[n:], true
	}
	c.cur.w.feed(b, len(b) == len(ev.Payload), c)
	c.cur.w.lose(lost, c)
	c.ctx, c.ev = nil, nil
}

// request: the current direction carries requests.
func (c *conn) request() bool { return (c.ev.Dir == l7.DirSend) == c.client }

// frame counts a frame's bytes into its stream.
func (c *conn) frame(h header) {
	x := c.streams[h.sid]
	if h.sid == 0 || x == nil {
		// Client-initiated streams have odd ids; a response may open one
		// when it is read before its request's write returned.
		if h.typ == frameHeaders && h.sid&1 == 1 {
			x = c.open(h.sid)
		}
		if x == nil {
			return
		}
	}
	n := uint64(frameHeaderLen) + uint64(h.length)
	if c.ev.Dir == l7.DirSend {
		x.BytesWritten += n
	} else {
		x.BytesRead += n
	}
	if c.request() {
		if x.StartNs == 0 || x.responded && !x.reqSeen {
			x.Tid, x.StartNs = c.ev.Tid, c.ev.TimestampNs
		}
		x.reqEndNs = c.ev.TimestampNs
	} else if !x.responded {
		x.responded, x.respNs = true, c.ev.TimestampNs
	}
}

// open starts following a stream the current event's request opens.
func (c *conn) open(sid uint32) *exchange {
	if len(c.streams) >= c.ctx.Config().MaxPending {
		c.ctx.Stats().PendingOverflow++
		return nil
	}
	x := &exchange{}
	x.Conn = c.ctx.Conn(c.ev, c.client)
	x.Tid, x.StartNs, x.Version = c.ev.Tid, c.ev.TimestampNs, "2"
	c.streams[sid] = x
	return x
}

// block decodes a header block fragment with the direction's decoder.
func (c *conn) block(h header, frag []byte) {
	s := c.cur
	if s.bad {
		return
	}
	if h.typ == frameHeaders {
		s.into, s.blockOK = c.streams[h.sid], true
	}
	if _, err := s.dec.Write(frag); err != nil {
		c.lostBlock()
	}
}

// field is HPACK's emit function: it keeps the pseudo-headers and
// grpc-status and nothing else.
func (c *conn) field(f hpack.HeaderField) {
	x := c.cur.into
	if x == nil || !c.cur.blockOK {
		return
	}
	switch f.Name {
	case ":method":
		x.Method = httpparse.Method([]byte(f.Value))
	case ":path":
		x.Path = c.ctx.Intern(httpparse.StripTarget([]byte(f.Value)))
	case ":status":
		if n, ok := status(f.Value); ok && n >= 200 {
			x.Status = n // 1xx are interim
		}
	case "grpc-status":
		x.GRPCStatus = c.ctx.Intern([]byte(f.Value))
	}
}

func status(v string) (int, bool) {
	if len(v) != 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	return n, true
}

// lostBlock: bytes of the block being walked were lost or did not
// decode; the direction's HPACK state is gone for good.
func (c *conn) lostBlock() {
	s := c.cur
	if !s.bad {
		c.markBad()
		s.cutBlock = true
	}
}

// markBad counts the loss of the direction's HPACK state.
func (c *conn) markBad() {
	s := c.cur
	if !s.bad {
		s.bad = true
		c.ctx.Stats().HTTP2Undecodable++
	}
	s.into = nil
}

// done acts on a frame's end: header block ends, stream ends, settings.
func (c *conn) done(h header, small []byte, cut bool) {
	s := c.cur
	switch h.typ {
	case frameHeaders, frameContinuation:
		if h.flags&flagEndHeaders != 0 {
			c.endBlock(s)
		}
		if h.typ == frameHeaders && h.flags&flagEndStream != 0 {
			c.endStream(h.sid)
		}
	case frameData:
		if h.flags&flagEndStream != 0 {
			c.endStream(h.sid)
		}
	case frameRSTStream:
		c.finish(h.sid)
	case frameSettings:
		// Our peer's encoder may use up to the size this end allows for
		// what it receives: the other direction's decoder.
		if v, ok := settingValue(small, settingHeaderTableSize); ok && h.flags&flagAck == 0 && !cut {
			other := &c.recv
			if s == &c.recv {
				other = &c.send
			}
			other.dec.SetAllowedMaxDynamicTableSize(v)
		}
	case framePushPromise:
		// Its header block would need walking too; servers push rarely
		// and our peers' clients disable it, so its table entries are lost.
		c.markBad()
	}
}

func (c *conn) endBlock(s *side) {
	x := s.into
	if s.bad {
		if !s.cutBlock {
			c.ctx.Stats().HTTP2Undecodable++
		}
		s.cutBlock = false
		return
	}
	s.into = nil
	if err := s.dec.Close(); err != nil {
		c.lostBlock()
		s.cutBlock = false
		return
	}
	if x != nil && c.request() {
		x.reqSeen = true
		if x.ended {
			c.finish(c.sidOf(x))
		}
	}
}

// sidOf finds the stream id of x (only for the rare early response).
func (c *conn) sidOf(x *exchange) uint32 {
	for sid, y := range c.streams {
		if y == x {
			return sid
		}
	}
	return 0
}

// endStream: END_STREAM in the current direction. The request's end only
// marks it; the response's end finishes the exchange.
func (c *conn) endStream(sid uint32) {
	x := c.streams[sid]
	if x == nil {
		return
	}
	if c.request() {
		x.reqDone = true
		return
	}
	c.finish(sid)
}

// finish emits a stream's exchange (an unanswered one counts) and forgets it.
func (c *conn) finish(sid uint32) {
	x := c.streams[sid]
	if x == nil {
		return
	}
	if c.ev != nil && !x.ended {
		x.EndNs = c.ev.TimestampNs
	}
	if !x.reqSeen && !c.request() && !c.send.bad && !c.recv.bad {
		x.ended = true // its request's block is still to come
		return
	}
	delete(c.streams, sid)
	c.emit(x)
}

func (c *conn) emit(x *exchange) {
	if !x.responded || x.Status == 0 && x.GRPCStatus == "" {
		c.ctx.Stats().Unanswered++
		return
	}
	if x.Method == "" {
		// The request's block was undecodable, or never seen: nothing to
		// report it by.
		c.ctx.Stats().Unmatched++
		return
	}
	if x.respNs > x.reqEndNs {
		x.LatencyNs = x.respNs - x.reqEndNs
	}
	c.ctx.Stats().HTTPExchanges++
	c.ctx.Emit(&x.HTTPExchange)
}

// Advance: streams have no timeout of their own; an idle socket is evicted.
func (c *conn) Advance(*stream.Ctx, uint64) {}

// Close finishes the streams whose response had begun.
func (c *conn) Close(ctx *stream.Ctx) {
	c.ctx = ctx
	for sid, x := range c.streams {
		delete(c.streams, sid)
		if x.EndNs == 0 {
			x.EndNs = max(x.respNs, x.reqEndNs)
		}
		c.emit(x)
	}
	c.ctx = nil
}

// Held: the streams under way and the bytes kept between events.
func (c *conn) Held() (pending, carried int) {
	return len(c.streams), c.send.w.hn + c.send.w.sn + c.recv.w.hn + c.recv.w.sn
}
