package dnsparse

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
)

var (
	addr4 = netip.MustParseAddr("192.0.2.10")
	addr6 = netip.MustParseAddr("2001:db8::10")
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		id      uint16
		resp    bool
		rcode   int
		qname   string
		strict  bool
		answers []netip.Addr
		wantErr bool
	}{
		{"query", dnswire.Query(7, "WWW.Example.COM.", dnsmessage.TypeA), 7, false, 0, "www.example.com", true, nil, false},
		{"aaaa query", dnswire.Query(8, "v6.example.", dnsmessage.TypeAAAA), 8, false, 0, "v6.example", true, nil, false},
		{"noerror", dnswire.Response(9, "www.example.com.", dnsmessage.RCodeSuccess, false, addr4, addr6), 9, true, 0, "www.example.com", false, []netip.Addr{addr4, addr6}, false},
		{"cname chain", dnswire.Response(10, "www.example.com.", dnsmessage.RCodeSuccess, true, addr4), 10, true, 0, "www.example.com", false, []netip.Addr{addr4}, false},
		{"nxdomain", dnswire.Response(11, "missing.example.", dnsmessage.RCodeNameError, false), 11, true, 3, "missing.example", false, nil, false},
		{"servfail", dnswire.Response(12, "x.example.", dnsmessage.RCodeServerFailure, false), 12, true, 2, "x.example", false, nil, false},
		{"answers cut by capture", dnswire.Response(13, "a.example.", dnsmessage.RCodeSuccess, false, addr4, addr6)[:60], 13, true, 0, "a.example", false, []netip.Addr{addr4}, false},
		{"root", dnswire.Query(14, ".", dnsmessage.TypeNS), 14, false, 0, ".", true, nil, false},
		{"edns noerror", dnswire.ResponseEDNS(16, "e.example.", dnsmessage.RCodeSuccess, addr4), 16, true, 0, "e.example", false, []netip.Addr{addr4}, false},
		{"edns nxdomain", dnswire.ResponseEDNS(17, "e.example.", dnsmessage.RCodeNameError), 17, true, 3, "e.example", false, nil, false},
		{"badvers", dnswire.ResponseEDNS(18, "e.example.", 16), 18, true, 16, "e.example", false, nil, false},
		{"badcookie", dnswire.ResponseEDNS(19, "e.example.", 23, addr4, addr6), 19, true, 23, "e.example", false, []netip.Addr{addr4, addr6}, false},
		{"badcookie, opt cut by capture", cut(dnswire.ResponseEDNS(20, "e.example.", 23), 5), 20, true, 7, "e.example", false, nil, false},
		{"badcookie past full answers", dnswire.ResponseEDNS(21, "e.example.", 23, manyAddrs...), 21, true, 23, "e.example", false, manyAddrs[:8], false},
		{"address lengths checked", badLengths(22), 22, true, 0, "b.example", false, []netip.Addr{addr4, addr6}, false},
		{"short header", []byte{1, 2, 3}, 0, false, 0, "", false, nil, true},
		{"no question", make([]byte, 12), 0, false, 0, "", false, nil, true},
		{"question cut", dnswire.Query(15, "cut.example.", dnsmessage.TypeA)[:16], 0, false, 0, "", false, nil, true},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, false, 0, "", false, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			err := m.Parse(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if m.ID != tc.id || m.Response != tc.resp || m.RCode != tc.rcode || m.Strict != tc.strict {
				t.Errorf("got id=%d resp=%v rcode=%d strict=%v", m.ID, m.Response, m.RCode, m.Strict)
			}
			if name := string(m.AppendName(nil)); name != tc.qname {
				t.Errorf("name %q, want %q", name, tc.qname)
			}
			if got := m.Answers[:m.NAnswers]; !slices.Equal(got, tc.answers) {
				t.Errorf("answers %v, want %v", got, tc.answers)
			}
		})
	}
}

func cut(b []byte, n int) []byte { return b[:len(b)-n] }

var manyAddrs = func() (a []netip.Addr) {
	for i := range 10 {
		a = append(a, netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}))
	}
	return a
}()

// badLengths builds a response whose address records have the wrong rdata
// length (an AAAA of 4 bytes, an A of 16) between good ones. Read without
// the length check, the AAAA takes 12 bytes of the next record as its
// address and that address goes into the domain cache.
func badLengths(id uint16) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true})
	name := dnsmessage.MustNewName("b.example.")
	h := dnsmessage.ResourceHeader{Name: name, Class: dnsmessage.ClassINET, TTL: 60}
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: name, Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET}))
	must(b.StartAnswers())
	must(b.UnknownResource(h, dnsmessage.UnknownResource{Type: dnsmessage.TypeAAAA, Data: []byte{10, 0, 0, 1}}))
	must(b.AResource(h, dnsmessage.AResource{A: addr4.As4()}))
	must(b.UnknownResource(h, dnsmessage.UnknownResource{Type: dnsmessage.TypeA, Data: addr6.AsSlice()}))
	must(b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: addr6.As16()}))
	out, err := b.Finish()
	must(err)
	return out
}

func TestStrictRejectsNonQueries(t *testing.T) {
	q := dnswire.Query(1, "a.example.", dnsmessage.TypeA)
	var m Message
	bad := bytes.Clone(q)
	bad[2] |= 0x78 // opcode 15
	if m.Parse(bad) != nil || m.Strict {
		t.Errorf("opcode 15 query is strict")
	}
	bad = bytes.Clone(q)
	bad[7] = 1 // one answer claimed
	if m.Parse(bad); m.Strict {
		t.Errorf("query with answers is strict")
	}
}

func TestParseZeroAllocs(t *testing.T) {
	resp := dnswire.Response(9, "www.example.com.", dnsmessage.RCodeSuccess, true, addr4, addr6)
	q := dnswire.Query(7, "www.example.com.", dnsmessage.TypeA)
	var m Message
	buf := make([]byte, 0, 256)
	for _, in := range [][]byte{q, resp} {
		if n := testing.AllocsPerRun(100, func() {
			if m.Parse(in) != nil {
				panic("parse")
			}
			buf = m.AppendName(buf[:0])
		}); n != 0 {
			t.Errorf("Parse allocates %v times", n)
		}
	}
	var f TCPFramer
	stream := dnswire.Framed(q, resp)
	if n := testing.AllocsPerRun(100, func() {
		f.Push(stream, len(stream))
		for msg, ok := f.Next(); ok; msg, ok = f.Next() {
			if m.Parse(msg) != nil {
				panic("parse")
			}
		}
	}); n != 0 {
		t.Errorf("framing allocates %v times", n)
	}
}
