package dnsparse

import (
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
)

func FuzzParse(f *testing.F) {
	f.Add(dnswire.Query(1, "www.example.com.", dnsmessage.TypeA), uint8(3))
	f.Add(dnswire.Response(2, "www.example.com.", dnsmessage.RCodeSuccess, true, addr4, addr6), uint8(9))
	f.Add(dnswire.Response(3, "missing.", dnsmessage.RCodeNameError, false), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		var m Message
		if m.Parse(b) == nil {
			if m.NAnswers > len(m.Answers) || len(m.AppendName(nil)) > 255 {
				t.Fatalf("answers %d", m.NAnswers)
			}
		}
		// The same bytes as a TCP stream in two capped events.
		var fr TCPFramer
		c := min(int(cut), len(b))
		for _, ev := range [][]byte{b[:c], b[c:]} {
			fr.Push(ev[:min(len(ev), 64)], len(ev))
			for msg, ok := fr.Next(); ok; msg, ok = fr.Next() {
				if len(msg) > MaxKept {
					t.Fatalf("kept %d", len(msg))
				}
				_ = m.Parse(msg)
			}
		}
	})
}

// BenchmarkParse compares the allocation-free path with a full
// dnsmessage.Message.Unpack of the same response, in the same run.
func BenchmarkParse(b *testing.B) {
	in := dnswire.Response(9, "www.example.com.", dnsmessage.RCodeSuccess, true, addr4, addr6)
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	ours := perOp(b, func() {
		if m.Parse(in) != nil {
			b.Fatal("parse")
		}
	})
	b.StopTimer()
	unpack := perOp(b, func() {
		var msg dnsmessage.Message
		if msg.Unpack(in) != nil {
			b.Fatal("unpack")
		}
	})
	b.ReportMetric(unpack/ours, "x_faster_than_Unpack")
}
