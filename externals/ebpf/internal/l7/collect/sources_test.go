package collect

import (
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// One socket id seen by two sources is two independent parses: the same
// exchange fed by both gives two records, one per source; and a socket's
// ciphertext, unparsed, is ignored for its source alone, while the
// plaintext of the same socket from the TLS source is parsed.
func TestTwoSourcesOneSocket(t *testing.T) {
	type ignored struct {
		id  uint64
		src l7.Source
	}
	var ign []ignored
	c := New(Config{Enabled: []string{"http"}, Stream: stream.Config{
		Verdict: func(id uint64, src l7.Source, v l7.Verdict) {
			if v == l7.VerdictIgnore {
				ign = append(ign, ignored{id, src})
			}
		}}})
	var got []l7.HTTPExchange
	c.Subscribe("http", func(r l7.Record) { got = append(got, *r.(*l7.HTTPExchange)) })
	var now uint64
	ev := func(src l7.Source, dir l7.Dir, b string) {
		now += 1000
		e := l7.Event{Source: src, Dir: dir, Proto: l7.TCP, Pid: 9, Tid: 10, TimestampNs: now, SockID: 7,
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:80"),
			TotalLen: uint32(len(b)), Payload: []byte(b)}
		c.Handle(&e)
	}
	// Interleaved, so that one parse's state would corrupt the other's.
	ev(l7.SourceSocket, l7.DirSend, recorded.MovedRequest)
	ev(l7.SourceTLS, l7.DirSend, recorded.MovedRequest)
	ev(l7.SourceSocket, l7.DirRecv, recorded.MovedResponse)
	ev(l7.SourceTLS, l7.DirRecv, recorded.MovedResponse)
	if len(got) != 2 || got[0].Source != l7.SourceSocket || got[1].Source != l7.SourceTLS {
		t.Fatalf("got %+v", got)
	}
	for _, x := range got {
		if x.Path != "/moved" || x.Status != 301 || x.Protocol != "http" || x.Tid != 10 || x.EndNs <= x.StartNs {
			t.Errorf("%+v", x)
		}
	}

	// Socket 8: TLS records on the socket, plaintext from the library.
	now += 1000
	tls := l7.Event{Source: l7.SourceSocket, Dir: l7.DirSend, Proto: l7.TCP, TimestampNs: now, SockID: 8,
		Local: netip.MustParseAddrPort("127.0.0.1:40001"), Remote: netip.MustParseAddrPort("127.0.0.1:443"),
		Payload: []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), TotalLen: 11}
	c.Handle(&tls)
	plain := tls
	plain.Source, plain.Payload = l7.SourceTLS, []byte(recorded.MovedRequest)
	plain.TotalLen = uint32(len(plain.Payload))
	c.Handle(&plain)
	plain.Dir, plain.Payload = l7.DirRecv, []byte(recorded.MovedResponse)
	plain.TotalLen = uint32(len(plain.Payload))
	c.Handle(&plain)
	if len(ign) != 1 || ign[0] != (ignored{8, l7.SourceSocket}) {
		t.Fatalf("ignored %v", ign)
	}
	if len(got) != 3 || got[2].Source != l7.SourceTLS || got[2].Status != 301 {
		t.Fatalf("the plaintext of an ignored socket: %+v", got[2:])
	}
}
