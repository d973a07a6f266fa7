package netlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
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

// httpSegment looks at a segment that starts new data in direction d. A
// request head is queued; a response head completes the oldest request of
// the other direction, which is returned.
func (c *conn) httpSegment(d int, seq, ack uint32, payload []byte, now time.Time) (exchange, bool) {
	var req httpparse.Request
	if httpparse.ParseRequest(payload, &req) != httpparse.Invalid && req.LineDone {
		c.sawHTTP = true
		if len(c.http) < maxPending {
			r := request{method: req.Method, path: string(req.Path), seq: seq, ack: ack, dir: d, at: now}
			r.traceID, r.parentID = traceHeaders(payload)
			c.http = append(c.http, r)
		}
		return exchange{}, false
	}
	var resp httpparse.Response
	if httpparse.ParseResponse(payload, &resp) == httpparse.Invalid || !resp.LineDone {
		return exchange{}, false
	}
	c.sawHTTP = true
	if resp.StatusCode < 200 && resp.StatusCode != 101 {
		return exchange{}, false // 100 Continue and other interim responses
	}
	for i := range c.http {
		if c.http[i].dir != d {
			ex := exchange{request: c.http[i], status: resp.StatusCode, respSeq: seq}
			c.http = append(c.http[:i], c.http[i+1:]...)
			return ex, true
		}
	}
	return exchange{}, false
}

// traceHeaders finds the W3C traceparent or, failing that, the Datadog
// trace and parent ids in the head at the start of b.
func traceHeaders(b []byte) (traceID, parentID string) {
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
