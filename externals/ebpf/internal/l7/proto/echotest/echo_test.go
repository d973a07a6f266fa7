// Package echotest adds a toy protocol to the L7 engine from outside it:
// a line-based echo ("ECHO text\n" answered by "text\n"), registered with
// its detection, connection state, matcher, measurement and aggregator in
// this folder alone, to show that a protocol plugs in by registering.
package echotest

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/collect"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

var echoflow = measure.Register(measure.Measurement{
	Name: "echoflow", Category: "network", Plugin: "test", Desc: "echo requests per interval",
	Tags:   []measure.Tag{{Name: "pid", Desc: "pid"}, {Name: "text", Desc: "the echoed text"}},
	Fields: []measure.Field{{Name: "count", Type: measure.Int, Unit: "-", Desc: "requests"}},
})

var echo = stream.Protocol{
	Name:        "echo",
	Ports:       []uint16{7},
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: echoflow,
	Aggregate:   func(stream.AggregateConfig) stream.Aggregator { return &agg{counts: map[key]int64{}} },
}

// exchange is the protocol's record.
type exchange struct {
	l7.Exchange
	Text string
}

type parser struct{}

func (parser) Detect(ev *l7.Event, onPort bool) stream.Verdict {
	switch {
	case ev.Proto != l7.TCP:
		return stream.No
	case bytes.HasPrefix(ev.Payload, []byte("ECHO ")) || onPort && ev.Dir == l7.DirSend:
		return stream.Yes
	case bytes.HasPrefix([]byte("ECHO "), ev.Payload):
		return stream.More
	}
	return stream.No
}

func (parser) Open(ev *l7.Event) stream.Conn { return &conn{} }

// conn matches requests to echoes in order.
type conn struct{ pending []exchange }

func (c *conn) Handle(ctx *stream.Ctx, ev *l7.Event) {
	for _, line := range bytes.SplitAfter(ev.Payload, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if text, ok := bytes.CutPrefix(line, []byte("ECHO ")); ok && ev.Dir == l7.DirSend {
			if len(c.pending) < ctx.Config().MaxPending {
				x := exchange{Exchange: l7.Exchange{Conn: ctx.Conn(ev, true), Tid: ev.Tid, StartNs: ev.TimestampNs},
					Text: ctx.Intern(bytes.TrimSpace(text))}
				c.pending = append(c.pending, x)
			}
			continue
		}
		if ev.Dir == l7.DirRecv && len(c.pending) > 0 && string(bytes.TrimSpace(line)) == c.pending[0].Text {
			x := c.pending[0]
			x.EndNs = ev.TimestampNs
			ctx.Emit(&x)
			c.pending = c.pending[1:]
		}
	}
}
func (c *conn) Advance(*stream.Ctx, uint64)  {}
func (c *conn) Close(*stream.Ctx)            { c.pending = nil }
func (c *conn) Held() (pending, carried int) { return len(c.pending), 0 }

type key struct {
	pid  uint32
	text string
}

type agg struct{ counts map[key]int64 }

func (a *agg) Add(r l7.Record) {
	x := r.(*exchange)
	a.counts[key{x.Conn.Pid, x.Text}]++
}

func (a *agg) Flush(t time.Time) []lp.Point {
	var pts []lp.Point
	for k, n := range a.counts {
		tags := []lp.Tag{{Key: "pid", Value: strconv.Itoa(int(k.pid))}, {Key: "text", Value: k.text}}
		pts = append(pts, lp.Point{Name: echoflow.Name, Tags: echoflow.Complete(tags, nil), Fields: []lp.Field{lp.Int("count", n)}, Time: t})
	}
	clear(a.counts)
	return pts
}
func (a *agg) Overflow() uint64 { return 0 }

// The toy protocol, registered next to the defaults, gets its records
// through the engine's sink into its own aggregator, beside HTTP's.
func TestToyProtocolThroughTheEngine(t *testing.T) {
	var seen []string
	c := collect.New(collect.Config{Protocols: append(protocols.Default(), echo), Enabled: []string{"http", "echo"}})
	c.Subscribe("echo", func(r l7.Record) { seen = append(seen, r.Base().Protocol+":"+r.(*exchange).Text) })
	var now uint64
	ev := func(id uint64, dir l7.Dir, remote string, b string) {
		now += 1000
		e := l7.Event{Dir: dir, Proto: l7.TCP, Pid: 42, Tid: 43, TimestampNs: now, SockID: id,
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort(remote),
			TotalLen: uint32(len(b)), Payload: []byte(b)}
		c.Handle(&e)
	}
	ev(1, l7.DirSend, "127.0.0.1:9000", "ECHO hi\nECHO hi\n")
	ev(1, l7.DirRecv, "127.0.0.1:9000", "hi\n")
	ev(1, l7.DirRecv, "127.0.0.1:9000", "hi\n")
	ev(2, l7.DirSend, "127.0.0.1:7", "bye\n") // detected by its port
	ev(2, l7.DirSend, "127.0.0.1:7", "ECHO yo\n")
	ev(2, l7.DirRecv, "127.0.0.1:7", "yo\n")
	ev(3, l7.DirSend, "127.0.0.1:80", "GET / HTTP/1.1\r\n\r\n")
	ev(3, l7.DirRecv, "127.0.0.1:80", "HTTP/1.1 204 No Content\r\n\r\n")

	got := map[string]int64{}
	var http int
	for _, p := range c.Flush(time.Unix(1, 0)) {
		switch p.Name {
		case "echoflow":
			tags := map[string]string{}
			for _, tg := range p.Tags {
				tags[tg.Key] = tg.Value
			}
			got[tags["pid"]+" "+tags["text"]] = p.Fields[0].Value.IntV()
		case "httpflow":
			http++
		}
	}
	if len(got) != 2 || got["42 hi"] != 2 || got["42 yo"] != 1 || http != 1 {
		t.Fatalf("echoflow %v, %d httpflow points", got, http)
	}
	if len(seen) != 3 || seen[0] != "echo:hi" {
		t.Fatalf("subscriber saw %v", seen)
	}
}
