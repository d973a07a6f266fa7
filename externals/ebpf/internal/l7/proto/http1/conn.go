package http1

import (
	"bytes"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

type role uint8

const (
	roleUnknown role = iota
	roleClient       // the local end sends requests
	roleServer       // the local end receives requests
)

// maxCarry bounds a head kept across events while it is incomplete.
const maxCarry = stream.MaxCarried / 2

// flow is the framing state of one direction of an HTTP connection.
type flow struct {
	bodyLeft int64 // body bytes still to come, from Content-Length
	// open: a body of unknown length continues until the next head at the
	// start of an event (chunked, close-delimited, or a head whose end was
	// not captured).
	open    bool
	chunked bool
	// interim: what is open is an interim (1xx) head whose end was not
	// captured; the next head is the final response, not a new one.
	interim bool
	carry   []byte // an incomplete head, waiting for the next event
}

// exchange is a request on its way to a response.
type exchange struct {
	l7.HTTPExchange
	reqEndNs  uint64
	headOnly  bool // HEAD: the response has no body
	responded bool
	reqBytes  uint64
	respBytes uint64
}

// httpConn is an HTTP/1.x connection seen from one end.
type httpConn struct {
	role      role
	req, resp flow
	// queue holds the requests awaiting or receiving their response, in
	// order (pipelining); queue[0] is being answered when responded.
	queue []exchange
	// held are response events of a client that came before its request's
	// own event (see handle); synced once a request was seen, so a response
	// with nothing to answer is early, not the tail of an exchange that
	// began before the collector looked.
	held   []heldEvent
	synced bool
	lastNs uint64 // the latest response event: an exchange's end
}

type heldEvent struct {
	ev      l7.Event
	payload []byte
}

const (
	heldMax = 4 // response events held for a request not seen yet
	// heldWindowNs is how much later than its response a client's request
	// event may come and still be the one that response answers.
	heldWindowNs = 50 * 1000 * 1000
)

// handle feeds one event to the requests or the responses. A client's
// send event fires when sendmsg returns, and on loopback the answer can be
// delivered and read by another thread before that (the kernel delivers
// the request inside sendmsg, the server answers on another CPU): a
// response with nothing to answer is held until the request's event, then
// matched to it (its latency is unknown then, reported as 0). Held events
// too old for the next request, too many, or still there at close are
// what they seemed: unmatched.
func (h *httpConn) handle(c *stream.Ctx, ev *l7.Event) {
	request := (ev.Dir == l7.DirSend) == (h.role == roleClient)
	switch {
	case request:
		h.release(c, ev.TimestampNs, false)
		h.requestBytes(c, ev)
		h.release(c, ev.TimestampNs, true)
	case h.role == roleClient && h.synced && len(h.held) < heldMax && (len(h.held) > 0 || h.idle()):
		h.held = append(h.held, heldEvent{ev: *ev, payload: append([]byte(nil), ev.Payload...)})
	default:
		h.release(c, ev.TimestampNs, true)
		h.responseBytes(c, ev)
	}
}

// idle: no request is waiting and no response is under way.
func (h *httpConn) idle() bool {
	f := &h.resp
	return len(h.queue) == 0 && !f.open && f.bodyLeft == 0 && len(f.carry) == 0
}

// release processes the held response events: all of them when all is
// set, else only those too old to answer a request at nowNs.
func (h *httpConn) release(c *stream.Ctx, nowNs uint64, all bool) {
	if len(h.held) == 0 || (!all && nowNs-h.held[0].ev.TimestampNs <= heldWindowNs) {
		return
	}
	held := h.held
	h.held = nil
	for i := range held {
		held[i].ev.Payload = held[i].payload
		h.responseBytes(c, &held[i].ev)
	}
}

// withCarry prefixes the event's bytes with a head carried from the previous
// event in the same direction; carried is the prefix's length.
func withCarry(c *stream.Ctx, f *flow, ev *l7.Event) (b []byte, total, carried int) {
	if len(f.carry) == 0 {
		return ev.Payload, int(max(ev.TotalLen, uint32(len(ev.Payload)))), 0
	}
	scratch := c.Scratch()
	*scratch = append(append((*scratch)[:0], f.carry...), ev.Payload...)
	carried = len(f.carry)
	total = carried + int(max(ev.TotalLen, uint32(len(ev.Payload))))
	f.carry = f.carry[:0]
	return *scratch, total, carried
}

// seqNum is a TCP sequence number, when the source knows it.
type seqNum struct {
	n  uint32
	ok bool
}

// seq is the sequence number of byte off of an event's bytes prefixed
// with carried bytes of earlier events.
func seq(ev *l7.Event, off, carried int) seqNum {
	return seqNum{ev.Seq + uint32(off) - uint32(carried), ev.SeqKnown}
}

// keep carries an incomplete head to the next event when it was captured
// whole and fits; it reports whether it did.
func (f *flow) keep(b []byte, off, total int) bool {
	if len(b) != total || total-off > maxCarry {
		return false
	}
	f.carry = append(f.carry[:0], b[off:]...)
	return true
}

func (h *httpConn) requestBytes(c *stream.Ctx, ev *l7.Event) {
	f := &h.req
	b, total, carried := withCarry(c, f, ev)
	for off := 0; off < total; {
		if f.bodyLeft > 0 {
			n := min(f.bodyLeft, int64(total-off))
			h.addRequest(uint64(n), ev.TimestampNs)
			f.bodyLeft -= n
			off += int(n)
			continue
		}
		if f.open && off > 0 {
			h.addRequest(uint64(total-off), ev.TimestampNs) // the open body goes on
			return
		}
		var r httpparse.Request
		st := httpparse.Invalid
		if off < len(b) {
			st = httpparse.ParseRequest(b[off:], &r)
		}
		if f.open && (st == httpparse.Invalid || r.Method == "" || r.Method == httpparse.MethodOther && !r.LineDone) {
			// A method prefix alone does not end a body, nor do two words
			// of text ("upload data...") that would be an unknown method.
			h.addRequest(uint64(total-off), ev.TimestampNs)
			return
		}
		f.open = false
		switch {
		case st == httpparse.Complete:
			h.push(c, ev, &r, seq(ev, off, carried), b[off:off+r.HeadLen])
			h.addRequest(uint64(r.HeadLen), ev.TimestampNs)
			off += r.HeadLen
			f.bodyLeft, f.open = max(r.ContentLength, 0), r.Chunked
		case st == httpparse.Partial && r.Method != "":
			if f.keep(b, off, total) {
				return // the head goes on in the next event
			}
			h.push(c, ev, &r, seq(ev, off, carried), b[off:]) // the head goes on past the capture
			h.addRequest(uint64(total-off), ev.TimestampNs)
			f.open = true
			return
		case st == httpparse.Partial && f.keep(b, off, total):
			return // a method prefix: the head may go on in the next event
		default:
			h.addRequest(uint64(total-off), ev.TimestampNs)
			return
		}
	}
}

// push queues a new request.
func (h *httpConn) push(c *stream.Ctx, ev *l7.Event, r *httpparse.Request, sq seqNum, head []byte) {
	h.synced = true
	if len(h.queue) >= c.Config().MaxPending {
		c.Stats().PendingOverflow++
		h.queue = append(h.queue[:0], h.queue[1:]...) // the oldest is hopeless by now
		c.Stats().Unanswered++
	}
	if h.queue == nil {
		h.queue = make([]exchange, 0, 4)
	}
	h.queue = append(h.queue, exchange{
		HTTPExchange: l7.HTTPExchange{
			Exchange: l7.Exchange{Conn: c.Conn(ev, h.role == roleClient), Tid: ev.Tid, StartNs: ev.TimestampNs,
				ReqSeq: sq.n, SeqKnown: sq.ok},
			Method:        r.Method,
			Path:          c.Intern(r.Path),
			Version:       r.Version,
			PathTruncated: r.PathTruncated,
		},
		headOnly: r.Method == "HEAD",
		reqEndNs: ev.TimestampNs,
	})
	if want := c.Config().Headers; len(want) > 0 {
		x := &h.queue[len(h.queue)-1]
		x.Headers = appendHeaders(nil, head, want)
	}
}

// addRequest accounts request bytes to the newest request.
func (h *httpConn) addRequest(n, ts uint64) {
	if len(h.queue) == 0 {
		return // mid-stream: the body of a request we did not see
	}
	x := &h.queue[len(h.queue)-1]
	x.reqBytes += n
	x.reqEndNs = ts
}

func (h *httpConn) responseBytes(c *stream.Ctx, ev *l7.Event) {
	h.lastNs = ev.TimestampNs
	f := &h.resp
	b, total, carried := withCarry(c, f, ev)
	for off := 0; off < total; {
		if f.bodyLeft > 0 {
			n := min(f.bodyLeft, int64(total-off))
			h.addResponse(uint64(n))
			f.bodyLeft -= n
			off += int(n)
			if f.bodyLeft == 0 {
				h.finish(c)
			}
			continue
		}
		var r httpparse.Response
		st := httpparse.Invalid
		if off < len(b) && (!f.open || off == 0) {
			st = httpparse.ParseResponse(b[off:], &r)
		}
		if f.open {
			if st == httpparse.Invalid || !r.LineDone {
				h.addResponse(uint64(total - off)) // the open body goes on
				if f.chunked && len(b) == total && bytes.HasSuffix(b, lastChunk) {
					f.open = false
					h.finish(c)
				}
				return
			}
			if !f.interim {
				h.finish(c) // a new response ends the open one
			}
			f.open, f.interim = false, false
		}
		switch {
		case st == httpparse.Complete:
			h.start(c, r.StatusCode, ev.TimestampNs, seq(ev, off, carried))
			h.addResponse(uint64(r.HeadLen))
			off += r.HeadLen
			if r.StatusCode == 101 {
				h.finish(c)
				c.Unparse() // switched protocols (WebSocket, h2c)
				return
			}
			if interim(r.StatusCode) {
				continue // the final response follows
			}
			x := h.answering()
			switch {
			case x != nil && x.headOnly, !httpparse.BodyAllowed(r.StatusCode), !r.Chunked && r.ContentLength == 0:
				h.finish(c)
			case !r.Chunked && r.ContentLength > 0:
				f.bodyLeft = r.ContentLength
			default:
				f.open, f.chunked = true, r.Chunked
				if r.Chunked && len(b) == total && bytes.HasSuffix(b[off:], lastChunk) {
					h.addResponse(uint64(total - off))
					f.open = false
					h.finish(c)
					return
				}
			}
		case st == httpparse.Partial && r.LineDone:
			if f.keep(b, off, total) {
				return
			}
			h.start(c, r.StatusCode, ev.TimestampNs, seq(ev, off, carried))
			h.addResponse(uint64(total - off))
			f.open, f.chunked, f.interim = true, false, interim(r.StatusCode)
			return
		case st == httpparse.Partial && f.keep(b, off, total):
			return // the status line may go on in the next event
		default:
			h.addResponse(uint64(total - off))
			return
		}
	}
}

var lastChunk = []byte("0\r\n\r\n")

// start marks the oldest request as being answered; the first response
// byte ends its latency.
func (h *httpConn) start(c *stream.Ctx, status int, ts uint64, sq seqNum) {
	x := h.answering()
	if x == nil {
		if len(h.queue) == 0 {
			c.Stats().Unmatched++
			return
		}
		x = &h.queue[0]
		x.responded = true
		x.RespSeq, x.SeqKnown = sq.n, x.SeqKnown && sq.ok
		if ts > x.reqEndNs {
			x.LatencyNs = ts - x.reqEndNs
		}
	}
	if !interim(status) {
		// An interim 1xx starts the latency but is no status to report:
		// a capture cut before the final response reports none.
		x.Status = status
	}
}

// interim reports a 1xx status other than 101, after which the final
// response follows on the same exchange.
func interim(status int) bool { return status < 200 && status != 101 }

// answering returns the request being answered, or nil.
func (h *httpConn) answering() *exchange {
	if len(h.queue) > 0 && h.queue[0].responded {
		return &h.queue[0]
	}
	return nil
}

func (h *httpConn) addResponse(n uint64) {
	if x := h.answering(); x != nil {
		x.respBytes += n
	}
}

// finish reports the request being answered and dequeues it.
func (h *httpConn) finish(c *stream.Ctx) {
	x := h.answering()
	if x == nil {
		return
	}
	if h.role == roleClient {
		x.BytesWritten, x.BytesRead = x.reqBytes, x.respBytes
	} else {
		x.BytesRead, x.BytesWritten = x.reqBytes, x.respBytes
	}
	x.EndNs = max(h.lastNs, x.StartNs)
	c.Stats().HTTPExchanges++
	c.Emit(&x.HTTPExchange)
	h.queue = append(h.queue[:0], h.queue[1:]...)
}

// closed finishes a response delimited by the connection's end; requests
// never answered are counted and emitted as Unanswered.
func (h *httpConn) closed(c *stream.Ctx) {
	h.release(c, 0, true)
	h.finish(c)
	c.Stats().Unanswered += uint64(len(h.queue))
	for i := range h.queue { // for the consumers that log them (netlog), not for httpflow
		x := &h.queue[i]
		x.Unanswered, x.EndNs = true, max(c.Now(), x.StartNs)
		c.Emit(&x.HTTPExchange)
	}
	h.queue = h.queue[:0]
}
