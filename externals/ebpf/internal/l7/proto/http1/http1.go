// Package http1 is HTTP/1.x on the L7 protocol registry: detection from a
// request or status line, per-connection framing (Content-Length, chunked,
// close-delimited, heads split across events), and requests matched to
// responses in order (keep-alive and pipelining). Its records are
// l7.HTTPExchange, aggregated into httpflow. The matching rules are in
// l7/README.md.
package http1

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/httpflow"
	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name.
const Name = "http"

// Protocol is HTTP/1.x's registry entry.
var Protocol = stream.Protocol{
	Name:        Name,
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Httpflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return httpflow.New(httpflow.Config{Tags: c.Tags, Domains: c.Domains, MaxSeries: c.MaxSeries, Stage: c.Stage})
	},
}

type parser struct{}

// Detect: a request or status line at the start of a TCP payload, or a
// whole payload that is a prefix of one.
func (parser) Detect(ev *l7.Event, _ bool) stream.Verdict {
	switch {
	case ev.Proto != l7.TCP:
		return stream.No
	case httpRole(ev) != roleUnknown:
		return stream.Yes
	case isHeadPrefix(ev):
		return stream.More
	}
	return stream.No
}

func (parser) Open(ev *l7.Event) stream.Conn { return &httpConn{role: httpRole(ev)} }

// Handle feeds one event (see handle).
func (h *httpConn) Handle(c *stream.Ctx, ev *l7.Event) { h.handle(c, ev) }

// Advance: HTTP has no timeout of its own; an idle socket is evicted.
func (h *httpConn) Advance(*stream.Ctx, uint64) {}

// Close finishes a close-delimited response.
func (h *httpConn) Close(c *stream.Ctx) { h.closed(c) }

// Held: the queued requests and the carried heads.
func (h *httpConn) Held() (pending, carried int) {
	return len(h.queue), len(h.req.carry) + len(h.resp.carry)
}

// httpRole tells the local end's role from a message head at the start of
// the payload: a request is written by clients and read by servers, a
// response the other way round.
func httpRole(ev *l7.Event) role {
	var req httpparse.Request
	// Any token is a method, so an unknown one ("OTHER") counts only with
	// its whole request line: "AUTH user" is not yet HTTP.
	if st := httpparse.ParseRequest(ev.Payload, &req); st != httpparse.Invalid && req.Method != "" &&
		(req.Method != httpparse.MethodOther || req.LineDone) {
		return pick(ev.Dir == l7.DirSend, roleClient, roleServer)
	}
	var resp httpparse.Response
	if st := httpparse.ParseResponse(ev.Payload, &resp); st == httpparse.Complete || resp.LineDone {
		return pick(ev.Dir == l7.DirRecv, roleClient, roleServer)
	}
	return roleUnknown
}

// isHeadPrefix reports whether the whole of a fully captured payload is the
// start of an HTTP head.
func isHeadPrefix(ev *l7.Event) bool {
	if ev.Truncated() {
		return false
	}
	var req httpparse.Request
	var resp httpparse.Response
	return httpparse.ParseRequest(ev.Payload, &req) == httpparse.Partial ||
		httpparse.ParseResponse(ev.Payload, &resp) == httpparse.Partial
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
