package netlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
)

// request is an HTTP request waiting for its response.
type request struct {
	method, path      string
	seq, ack          uint32 // of the segment that carried the request's first byte
	dir               int    // tx or rx
	at                time.Time
	traceID, parentID string
}

// exchange is a request with its response, or without one (status 0).
type exchange struct {
	request
	status  int
	respSeq uint32
}

// l7TraceID identifies a request on every interface it crosses: the
// sequence and acknowledgement numbers of its first segment survive NAT
// and encapsulation, and together are 64 bits mostly drawn from the two
// ends' random initial sequence numbers.
func (r *request) l7TraceID() string {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], r.seq)
	binary.BigEndian.PutUint32(b[4:], r.ack)
	h.Write(b[:])
	return fmt.Sprintf("%016x", h.Sum64())
}

const maxPending = 32 // pipelined requests kept per connection

// httpSegment walks the messages in a segment that starts new data in
// direction d and appends to exs the exchanges it completes. A request
// head is queued; a final response head completes the oldest request of
// the other direction. The walk goes on past a message while its length
// is known and inside the segment: pipelined messages, and the final
// response after an interim 1xx in the same segment.
func (c *conn) httpSegment(exs []exchange, d int, seq, ack uint32, payload []byte, now time.Time) []exchange {
	for off := 0; off < len(payload); {
		n, ex, ok := c.httpMessage(d, seq+uint32(off), ack, payload[off:], now)
		if ok {
			exs = append(exs, ex)
		}
		if n == 0 {
			break
		}
		off += n
	}
	return exs
}

// httpMessage handles the message at the start of b (after any empty
// lines) and returns its length, or 0 when that is unknown or past b.
func (c *conn) httpMessage(d int, seq, ack uint32, b []byte, now time.Time) (int, exchange, bool) {
	var req httpparse.Request
	if st := httpparse.ParseRequest(b, &req); st != httpparse.Invalid && req.LineDone {
		c.sawHTTP = true
		if len(c.http) < maxPending {
			r := request{method: req.Method, path: string(req.Path), seq: seq, ack: ack, dir: d, at: now}
			r.traceID, r.parentID = traceHeaders(b)
			c.http = append(c.http, r)
		}
		if st != httpparse.Complete || req.Chunked {
			return 0, exchange{}, false
		}
		return within(req.HeadLen, max(req.ContentLength, 0), len(b)), exchange{}, false
	}
	var resp httpparse.Response
	st := httpparse.ParseResponse(b, &resp)
	if st == httpparse.Invalid || !resp.LineDone {
		return 0, exchange{}, false
	}
	c.sawHTTP = true
	if resp.StatusCode < 200 && resp.StatusCode != 101 {
		// 100 Continue, 103 Early Hints: the final response follows, and
		// a capture cut here leaves the request without a status.
		return within(resp.HeadLen, 0, len(b)), exchange{}, false
	}
	i := slices.IndexFunc(c.http, func(r request) bool { return r.dir != d })
	if i < 0 {
		return 0, exchange{}, false
	}
	ex := exchange{request: c.http[i], status: resp.StatusCode, respSeq: seq}
	c.http = slices.Delete(c.http, i, i+1)
	body := resp.ContentLength
	if ex.method == "HEAD" || !httpparse.BodyAllowed(resp.StatusCode) {
		body = 0
	}
	if st != httpparse.Complete || resp.StatusCode == 101 || resp.Chunked || body < 0 {
		return 0, ex, true // the body's end is not known from its head
	}
	return within(resp.HeadLen, body, len(b)), ex, true
}

// within returns the length of a message of head and body bytes when it
// ends inside a segment of n bytes, else 0.
func within(head int, body int64, n int) int {
	if head == 0 || int64(head)+body > int64(n) {
		return 0
	}
	return head + int(body)
}

// traceHeaders finds the W3C traceparent or, failing that, the Datadog
// trace and parent ids in the head at the start of b.
func traceHeaders(b []byte) (traceID, parentID string) {
	b = bytes.TrimLeft(b, "\r\n") // the empty lines a head may follow
	if end := bytes.Index(b, []byte("\r\n\r\n")); end >= 0 {
		b = b[:end]
	}
	var ddTrace, ddParent []byte
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("traceparent")):
			// version-traceid(32 hex)-parentid(16 hex)-flags
			f := bytes.Split(value, []byte("-"))
			if len(f) == 4 && len(f[1]) == 32 && len(f[2]) == 16 && isHex(f[1]) && isHex(f[2]) {
				return string(f[1]), string(f[2])
			}
		case bytes.EqualFold(name, []byte("x-datadog-trace-id")) && isDigits(value):
			ddTrace = value
		case bytes.EqualFold(name, []byte("x-datadog-parent-id")) && isDigits(value):
			ddParent = value
		}
	}
	if ddTrace != nil {
		return string(ddTrace), string(ddParent)
	}
	return "", ""
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return len(b) > 0
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0 && len(b) <= 20
}
