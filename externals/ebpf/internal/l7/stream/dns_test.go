package stream_test

import (
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

var (
	resolver = netip.MustParseAddrPort("127.0.0.1:53")
	stub     = netip.MustParseAddrPort("127.0.0.1:51000")
	answer   = netip.MustParseAddr("192.0.2.7")
)

func dnsSock(t *testing.T, tr *stream.Tracker, id uint64, proto l7.Proto, local, remote netip.AddrPort) *sock {
	s := newSock(t, tr, id, local, remote)
	s.proto, s.comm = proto, "dig"
	return s
}

func TestDNSUDPBothSides(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	dig := dnsSock(t, tr, 1, l7.UDP, stub, resolver)
	srv := dnsSock(t, tr, 2, l7.UDP, resolver, stub)
	q := dnswire.Query(0x1234, "Exists.Example.", dnsmessage.TypeA)
	r := dnswire.Response(0x1234, "exists.example.", dnsmessage.RCodeSuccess, true, answer)
	dig.sendB(q)
	srv.recvB(q)
	srv.sendB(r)
	dig.recvB(r)
	nx := dnswire.Query(7, "missing.example.", dnsmessage.TypeAAAA)
	dig.sendB(nx)
	dig.recvB(dnswire.Response(7, "missing.example.", dnsmessage.RCodeNameError, false))
	if len(rec.dns) != 3 {
		t.Fatalf("got %d exchanges", len(rec.dns))
	}
	server, client, missing := rec.dns[0], rec.dns[1], rec.dns[2]
	if server.Conn.Outgoing || !client.Conn.Outgoing || client.Conn.Pid != dig.pid || client.Conn.Comm != "dig" {
		t.Errorf("sides: %+v / %+v", server.Conn, client.Conn)
	}
	for _, x := range []l7.DNSExchange{server, client} {
		if x.Name != "exists.example" || x.RCode != 0 || x.NAnswers != 1 || x.Answers[0] != answer || x.LatencyNs != 1000 {
			t.Errorf("%+v", x)
		}
	}
	if missing.Name != "missing.example" || missing.RCode != 3 || missing.QType != uint16(dnsmessage.TypeAAAA) {
		t.Errorf("%+v", missing)
	}
}

func TestDNSTimeout(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{DNSTimeout: 2 * time.Second}, &rec)
	dig := dnsSock(t, tr, 1, l7.UDP, stub, resolver)
	dig.sendB(dnswire.Query(9, "silent.example.", dnsmessage.TypeA))
	tr.Advance(dig.now + uint64(time.Second))
	if len(rec.dns) != 0 {
		t.Fatalf("reported before the timeout")
	}
	tr.Advance(dig.now + uint64(2*time.Second))
	tr.Advance(dig.now + uint64(3*time.Second))
	// A late answer is unmatched, not a second count.
	dig.recvB(dnswire.Response(9, "silent.example.", dnsmessage.RCodeSuccess, false, answer))
	if len(rec.dns) != 1 || rec.dns[0].RCode != -1 || rec.dns[0].LatencyNs != uint64(2*time.Second) || rec.dns[0].Name != "silent.example" {
		t.Fatalf("%+v", rec.dns)
	}
	if st := tr.Stats(); st.DNSTimeouts != 1 || st.Unmatched != 1 {
		t.Errorf("stats %+v", st)
	}
}

// DNS over TCP, the messages split across events at every position.
func TestDNSTCPSplit(t *testing.T) {
	q := dnswire.Framed(dnswire.Query(5, "tcp.example.", dnsmessage.TypeA))
	r := dnswire.Framed(dnswire.Response(5, "tcp.example.", dnsmessage.RCodeSuccess, false, answer))
	for cut := 1; cut < len(r); cut++ {
		var rec recorder
		tr := newTracker(stream.Config{}, &rec)
		dig := dnsSock(t, tr, 1, l7.TCP, stub, resolver)
		dig.sendB(q[:2])
		dig.sendB(q[2:])
		dig.recvB(r[:cut])
		dig.recvB(r[cut:])
		if len(rec.dns) != 1 || rec.dns[0].RCode != 0 || rec.dns[0].Answers[0] != answer || rec.dns[0].Conn.Proto != l7.TCP {
			t.Fatalf("cut %d: %+v", cut, rec.dns)
		}
	}
}

// A resolver on a non-standard port is recognized by the shape of the
// query; an unconnected server socket matches answers by peer.
func TestDNSOtherPortManyPeers(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	srvAddr := netip.MustParseAddrPort("127.0.0.1:5353")
	a, b := netip.MustParseAddrPort("127.0.0.1:40001"), netip.MustParseAddrPort("127.0.0.1:40002")
	srv := dnsSock(t, tr, 1, l7.UDP, srvAddr, a)
	srv.recvB(dnswire.Query(1, "a.example.", dnsmessage.TypeA))
	srv.remote = b
	srv.recvB(dnswire.Query(1, "b.example.", dnsmessage.TypeA))
	srv.sendB(dnswire.Response(1, "b.example.", dnsmessage.RCodeSuccess, false))
	srv.remote = a
	srv.sendB(dnswire.Response(1, "a.example.", dnsmessage.RCodeServerFailure, false))
	if len(rec.dns) != 2 || rec.dns[0].Name != "b.example" || rec.dns[0].RCode != 0 || rec.dns[1].Name != "a.example" || rec.dns[1].RCode != 2 {
		t.Fatalf("%+v", rec.dns)
	}
}

// DNS over TCP on a non-standard port (dig +tcp against a test resolver):
// the client writes length and query at once, the server reads the length
// on its own first; both are recognized by the framed query's shape.
func TestDNSTCPOtherPort(t *testing.T) {
	q := dnswire.Framed(dnswire.Query(9, "tcp.example.", dnsmessage.TypeA))
	r := dnswire.Framed(dnswire.Response(9, "tcp.example.", dnsmessage.RCodeNameError, false))
	srvAddr := netip.MustParseAddrPort("127.0.0.1:5353")
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	dig := dnsSock(t, tr, 1, l7.TCP, stub, srvAddr)
	srv := dnsSock(t, tr, 2, l7.TCP, srvAddr, stub)
	dig.sendB(q)
	srv.recvB(q[:1]) // dnsmasq reads the length a byte at a time
	srv.recvB(q[1:2])
	srv.recvB(q[2:])
	srv.sendB(r)
	dig.recvB(r)
	if len(rec.dns) != 2 {
		t.Fatalf("%d exchanges, want both sides: %+v", len(rec.dns), rec.dns)
	}
	for _, x := range rec.dns {
		if x.RCode != 3 || x.Name != "tcp.example" || x.Conn.Outgoing != (x.Conn.Local == stub) {
			t.Errorf("%+v", x)
		}
	}
	// A length-shaped first event that is not followed by a query is not DNS.
	tr = newTracker(stream.Config{}, &rec)
	other := dnsSock(t, tr, 3, l7.TCP, stub, srvAddr)
	other.sendB([]byte{0, 5})
	other.sendB([]byte("hello"))
	if st := tr.Stats(); st.DNSExchanges != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A query read from an unconnected socket before the collector knows its
// sender (0.0.0.0:0) is answered by the reply sent to that sender, which
// names it; queries with a known peer still match only their own.
func TestDNSQueryOfUnknownSender(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	srvAddr := netip.MustParseAddrPort("127.0.0.1:5353")
	a := netip.MustParseAddrPort("127.0.0.1:40001")
	srv := dnsSock(t, tr, 1, l7.UDP, srvAddr, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
	srv.recvB(dnswire.Query(9, "early.example.", dnsmessage.TypeA))
	srv.remote = a
	srv.sendB(dnswire.Response(9, "early.example.", dnsmessage.RCodeNameError, false))
	if len(rec.dns) != 1 || rec.dns[0].Name != "early.example" || rec.dns[0].RCode != 3 || rec.dns[0].Conn.Remote != a {
		t.Fatalf("%+v", rec.dns)
	}
}
