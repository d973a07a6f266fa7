package dnsparse

import (
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
)

func FuzzParse(f *testing.F) {
	f.Add(dnswire.Query(1, "www.example.com.", dnsmessage.TypeA), uint8(3))
	f.Add(dnswire.Response(2, "www.example.com.", dnsmessage.RCodeSuccess, true, addr4, addr6), uint8(9))
	f.Add(dnswire.Response(3, "missing.", dnsmessage.RCodeNameError, false), uint8(0))
	// Issue 14's edges: extended rcodes in an OPT, address records whose
	// rdata length is not an address's.
	f.Add(dnswire.ResponseEDNS(4, "c.example.", 23, addr4), uint8(40))
	f.Add(dnswire.ResponseEDNS(5, "v.example.", 16), uint8(12))
	f.Add(badLengths(6), uint8(50))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		var m Message
		if m.Parse(b) == nil {
			if m.NAnswers > len(m.Answers) || len(m.AppendName(nil)) > 255 {
				t.Fatalf("answers %d", m.NAnswers)
			}
			if m.Response {
				answers, rcode := reference(b)
				if !slices.Equal(m.Answers[:m.NAnswers], answers) || m.RCode != rcode {
					t.Fatalf("answers %v rcode %d, reference %v %d", m.Answers[:m.NAnswers], m.RCode, answers, rcode)
				}
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

// reference reads a response's addresses and rcode another way: every
// record's rdata as raw bytes of its own length, every section walked.
func reference(b []byte) (answers []netip.Addr, rcode int) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || p.SkipAllQuestions() != nil {
		return nil, int(h.RCode)
	}
	for len(answers) < l7.MaxAnswers {
		rh, err := p.AnswerHeader()
		if err != nil {
			break
		}
		r, err := p.UnknownResource()
		if err != nil {
			break
		}
		if a, ok := netip.AddrFromSlice(r.Data); ok && (rh.Type == dnsmessage.TypeA && len(r.Data) == 4 || rh.Type == dnsmessage.TypeAAAA && len(r.Data) == 16) {
			answers = append(answers, a)
		}
	}
	rcode = int(h.RCode)
	if b[10]|b[11] == 0 || p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return answers, rcode
	}
	for {
		rh, err := p.AdditionalHeader()
		if err != nil {
			return answers, rcode
		}
		if rh.Type == dnsmessage.TypeOPT {
			return answers, int(rh.ExtendedRCode(h.RCode))
		}
		if p.SkipAdditional() != nil {
			return answers, rcode
		}
	}
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
