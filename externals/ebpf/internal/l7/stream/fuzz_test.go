package stream_test

import (
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// fragments seed events with real protocol bytes, so the fuzzer reaches
// deep states (open bodies, pipelines, DNS framing) quickly.
var fragments = [][]byte{
	[]byte(recorded.IndexQueryRequest), []byte(recorded.IndexQueryResponse),
	[]byte(recorded.PostRequest), []byte(recorded.FailResponse), []byte(recorded.BigResponseHead),
	[]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), []byte("0\r\n\r\n"),
	[]byte("HTTP/1.1 100 Continue\r\n\r\n"), []byte("HTTP/1.1 101 Switching\r\n\r\n"),
	dnswire.Query(1, "a.example.", dnsmessage.TypeA),
	dnswire.Response(1, "a.example.", dnsmessage.RCodeSuccess, true, netip.MustParseAddr("192.0.2.1")),
	dnswire.Framed(dnswire.Query(2, "t.example.", dnsmessage.TypeA)),
	// Issue 14's edges: empty lines between messages, other methods, path
	// parameters, an interim head cut short.
	[]byte("\r\nPROPFIND /d;jsessionid=S HTTP/1.1\r\nContent-Length: 2\r\n\r\nab\r\n"),
	[]byte("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), []byte("HTTP/1.1 103 Early Hints\r\nLink: <"),
}

// FuzzTracker feeds random event sequences: each op is a control byte
// (socket, direction, protocol, port), a length byte and that many bytes of
// payload drawn from the input or from a fragment. The tracker must never
// panic and must stay within its bounds.
func FuzzTracker(f *testing.F) {
	f.Add([]byte{0x00, 0x80, 0x11, 0x81, 0x04, 0x82})
	f.Add([]byte("\x00\x05GET /\x10\x10 HTTP/1.1\r\n\r\n\x30\x88\x08\x89"))
	f.Add([]byte{0x0c, 0x89, 0x1d, 0x89, 0x02, 0x8b, 0x13, 0x8b})
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := stream.Config{MaxSockets: 3, MaxPending: 2, UndecidedEvents: 4, MaxInterned: 8, IdleTimeout: time.Millisecond}
		tr := newTracker(cfg, &countingSink{})
		var now uint64
		for len(in) >= 2 {
			ctl, n := in[0], in[1]
			in = in[2:]
			var payload []byte
			if n&0x80 != 0 {
				payload = fragments[int(n&0x7f)%len(fragments)]
			} else {
				k := min(int(n), len(in))
				payload, in = in[:k], in[k:]
			}
			now += uint64(ctl) * 10000
			ev := l7.Event{
				Dir: l7.Dir(1 + ctl>>2%3), Proto: pick(ctl&0x20 != 0, l7.UDP, l7.TCP), TimestampNs: now,
				SockID: uint64(ctl & 3), Local: netip.MustParseAddrPort("10.0.0.1:40000"),
				Remote:   netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), pick(ctl&0x40 != 0, uint16(53), 80)),
				TotalLen: uint32(len(payload)) + uint32(ctl&0x10)*100, Payload: payload,
			}
			tr.Handle(&ev)
			if ctl == 0xff {
				tr.Advance(now + uint64(time.Second))
			}
			if err := tr.CheckBounds(); err != nil {
				t.Fatal(err)
			}
		}
		tr.Advance(now + uint64(time.Hour))
		if st := tr.Stats(); st.Sockets != 0 {
			t.Fatalf("sockets left after eviction: %+v", st)
		}
	})
}

type countingSink struct{ http, dns int }

func (c *countingSink) Record(r l7.Record) {
	switch x := r.(type) {
	case *l7.HTTPExchange:
		if x.Method == "" {
			panic("exchange without method")
		}
		c.http++
	case *l7.DNSExchange:
		c.dns++
	default:
		panic("unknown record")
	}
}
