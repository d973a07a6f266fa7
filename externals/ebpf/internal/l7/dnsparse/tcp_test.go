package dnsparse

import (
	"bytes"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
)

// feed pushes events (payload cap applied) and collects the messages.
func feed(f *TCPFramer, capBytes int, events ...[]byte) [][]byte {
	var out [][]byte
	for _, ev := range events {
		f.Push(ev[:min(len(ev), capBytes)], len(ev))
		for msg, ok := f.Next(); ok; msg, ok = f.Next() {
			out = append(out, bytes.Clone(msg))
		}
	}
	return out
}

func TestFramerSplitsAnywhere(t *testing.T) {
	q := dnswire.Query(1, "tcp.example.", dnsmessage.TypeA)
	r := dnswire.Response(1, "tcp.example.", dnsmessage.RCodeSuccess, false, addr4)
	stream := dnswire.Framed(q, r)
	for cut := 0; cut <= len(stream); cut++ {
		for cut2 := cut; cut2 <= len(stream); cut2 += 7 {
			var f TCPFramer
			got := feed(&f, 1<<20, stream[:cut], stream[cut:cut2], stream[cut2:])
			if len(got) != 2 || !bytes.Equal(got[0], q) || !bytes.Equal(got[1], r) {
				t.Fatalf("cuts %d,%d: got %d messages", cut, cut2, len(got))
			}
		}
	}
}

func TestFramerCappedCapture(t *testing.T) {
	big := dnswire.Response(2, "big.example.", dnsmessage.RCodeSuccess, false,
		addr4, addr6, addr4, addr6, addr4, addr6, addr4, addr6, addr4, addr6)
	small := dnswire.Query(3, "next.example.", dnsmessage.TypeA)
	var f TCPFramer
	// The capture keeps 64 bytes of the big message's event: its prefix
	// still parses, and the next event's message is framed normally.
	got := feed(&f, 64, dnswire.Framed(big), dnswire.Framed(small))
	if len(got) != 2 || len(got[0]) != 62 || !bytes.Equal(got[1], small) {
		t.Fatalf("got %d messages", len(got))
	}
	var m Message
	if err := m.Parse(got[0]); err != nil || m.ID != 2 || string(m.AppendName(nil)) != "big.example" {
		t.Fatalf("prefix parse: %v id=%d", err, m.ID)
	}
	// Three messages in one capped event: the third's length prefix was not
	// captured, so the event's tail is dropped and the framer resyncs at the
	// next event.
	got = feed(&f, 64, dnswire.Framed(small, small, small), dnswire.Framed(small))
	if len(got) != 3 || f.Dropped() != 1 || !bytes.Equal(got[2], small) {
		t.Fatalf("got %d messages, %d dropped", len(got), f.Dropped())
	}
}
