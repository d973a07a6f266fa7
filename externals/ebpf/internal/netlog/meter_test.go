package netlog

import (
	"net/netip"
	"testing"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// testMeter is a meter of a namespace that owns the given addresses.
func testMeter(local ...string) (*meter, *metrics) {
	addrs := map[netip.Addr]bool{}
	for _, a := range local {
		addrs[netip.MustParseAddr(a)] = true
	}
	b := flowtags.Builder{EphemeralStart: 32768}
	ls := flowtags.NewListeners("/nonexistent")
	ls.Set(7, "udp", 53)
	m := newMeter(netns{ino: 7}, limits{interval: time.Minute, linger: time.Second, idle: 2 * time.Minute, maxConns: 1024}, b, ls,
		func() (map[netip.Addr]bool, error) { return addrs, nil })
	m.refreshLocal(t0)
	return m, newMetrics(b, []lp.Tag{{Key: "host", Value: "h"}})
}

const ms = time.Millisecond

// feedMetered feeds an HTTP exchange on interface ifindex: handshake (SYN
// at 0, SYN-ACK at 2ms, ACK at 5ms), the request at 10ms and its
// retransmission at 30ms, the response at 40ms, both FINs and the last ACK.
func feedMetered(m *meter, ifindex int) {
	in := func(p *dissect.Packet, at time.Duration) { m.packet(p, ifindex, len(p.Payload), t0.Add(at)) }
	A, S, F := dissect.ACK, dissect.SYN, dissect.FIN
	rq, rs := uint32(len(req)), uint32(len(resp))
	in(seg(cli, srv, 100, 0, S, ""), 0)
	in(seg(srv, cli, 500, 101, S|A, ""), 2*ms)
	in(seg(cli, srv, 101, 501, A, ""), 5*ms)
	in(seg(cli, srv, 101, 501, A, req), 10*ms)
	in(seg(cli, srv, 101, 501, A, req), 30*ms) // retransmitted
	in(seg(srv, cli, 501, 101+rq, A, resp), 40*ms)
	in(seg(cli, srv, 101+rq, 501+rs, A|F, ""), 50*ms)
	in(seg(srv, cli, 501+rs, 102+rq, A|F, ""), 51*ms)
	in(seg(cli, srv, 102+rq, 502+rs, A, ""), 52*ms)
}

// flushed ticks the meter past the linger and returns the points.
func flushed(t *testing.T, m *meter, agg *metrics) (netflow, http []lp.Point) {
	t.Helper()
	m.tick(t0.Add(2 * time.Second))
	agg.add(m.take())
	netflow, http = agg.flush(t0.Add(3 * time.Second))
	for _, p := range netflow {
		checkSchema(t, p, measure.Netflow)
	}
	for _, p := range http {
		checkSchema(t, p, measure.Httpflow)
	}
	return netflow, http
}

func wantFields(t *testing.T, p lp.Point, want map[string]int64) {
	t.Helper()
	for k, v := range want {
		if got := fieldInt(p, k); got != v {
			t.Errorf("%s %s = %d, want %d", tag(p, "direction"), k, got, v)
		}
	}
}

func TestMeterClientSide(t *testing.T) {
	m, agg := testMeter("10.0.0.1")
	feedMetered(m, 3)
	feedMetered(m, 4) // the same packets on a second interface
	netflow, http := flushed(t, m, agg)
	if len(netflow) != 1 || len(http) != 1 || len(m.flows) != 0 {
		t.Fatalf("%d netflow, %d httpflow points, %d flows left; want 1, 1, 0", len(netflow), len(http), len(m.flows))
	}
	p := netflow[0]
	wantFields(t, p, map[string]int64{"bytes_written": int64(len(req)), "bytes_read": int64(len(resp)), "retransmits": 1,
		"tcp_established": 1, "tcp_closed": 1, "rtt": 2000})
	for k, v := range map[string]string{"direction": "outgoing", "src_ip": "10.0.0.1", "src_port": "*", "client_port": "*",
		"server_port": "80", "dst_ip": "10.0.0.2", "transport": "tcp", "family": "IPv4", "source": "netflow", "sub_source": "packet",
		"pid": "N/A", "process_name": "N/A", "host": "h", "dst_nat_ip": "N/A"} {
		if tag(p, k) != v {
			t.Errorf("netflow tag %s = %q, want %q", k, tag(p, k), v)
		}
	}
	h := http[0]
	if fieldStr(h, "method") != "GET" || fieldStr(h, "path") != "/a/b" || fieldInt(h, "status_code") != 201 ||
		fieldStr(h, "http_version") != "1.1" || fieldInt(h, "count") != 1 || tag(h, "direction") != "outgoing" || tag(h, "sub_source") != "packet" {
		t.Errorf("httpflow %v %v", h.Tags, h.Fields)
	}
	// TTFB from the request (10ms; its retransmission is not new data) to the response (40ms)
	wantFields(t, h, map[string]int64{"latency": int64(30 * ms), "bytes_written": int64(len(req)), "bytes_read": int64(len(resp))})
}

func TestMeterBothEndsLocal(t *testing.T) {
	m, agg := testMeter("10.0.0.1", "10.0.0.2") // as on lo: every packet seen once, both sockets local
	feedMetered(m, 1)
	netflow, http := flushed(t, m, agg)
	if len(netflow) != 2 || len(http) != 2 {
		t.Fatalf("%d netflow, %d httpflow points; want a client and a server view of each", len(netflow), len(http))
	}
	for _, p := range append(netflow, http...) {
		d := tag(p, "direction")
		written, read := int64(len(req)), int64(len(resp))
		if d == "incoming" {
			written, read = read, written
			if tag(p, "src_port") != "80" || tag(p, "client_port") != "*" {
				t.Errorf("server view %s: src_port %s client_port %s", p.Name, tag(p, "src_port"), tag(p, "client_port"))
			}
		}
		wantFields(t, p, map[string]int64{"bytes_written": written, "bytes_read": read})
		if p.Name == "netflow" {
			retrans, rtt := int64(1), int64(2000) // SYN→SYN-ACK for the client, SYN-ACK→ACK for the server
			if d == "incoming" {
				retrans, rtt = 0, 3000
			}
			wantFields(t, p, map[string]int64{"retransmits": retrans, "rtt": rtt, "tcp_established": 1, "tcp_closed": 1})
		}
	}
}

func TestMeterIgnoresForwardedTraffic(t *testing.T) {
	m, agg := testMeter("192.168.9.9")
	feedMetered(m, 3)
	if netflow, http := flushed(t, m, agg); len(netflow)+len(http) != 0 {
		t.Fatalf("traffic between two other hosts counted: %v %v", netflow, http)
	}
}

func TestMeterMidStreamAndPartialRetransmission(t *testing.T) {
	m, agg := testMeter("10.0.0.2") // the server's namespace; the connection predates the capture
	in := func(p *dissect.Packet, at time.Duration) { m.packet(p, 2, len(p.Payload), t0.Add(at)) }
	in(seg(cli, srv, 1000, 9000, dissect.ACK, "0123456789"), 0)
	in(seg(cli, srv, 1005, 9000, dissect.ACK, "56789abcde"), ms) // half old, half new
	in(seg(srv, cli, 9000, 1015, dissect.ACK, "ok"), 2*ms)
	netflow, _ := flushed(t, m, agg)
	if len(netflow) != 1 {
		t.Fatalf("%d points", len(netflow))
	}
	p := netflow[0]
	if tag(p, "direction") != "incoming" || tag(p, "server_port") != "80" {
		t.Errorf("mid-stream: direction %s server_port %s (the lower port serves)", tag(p, "direction"), tag(p, "server_port"))
	}
	wantFields(t, p, map[string]int64{"bytes_read": 15, "bytes_written": 2, "retransmits": 0, "tcp_established": 0, "tcp_closed": 0, "rtt": -1})
}

func TestMeterUDP(t *testing.T) {
	m, agg := testMeter("10.0.0.2")
	dns := netip.MustParseAddrPort("10.0.0.2:53")
	client := netip.MustParseAddrPort("10.0.0.1:45000")
	udp := func(from, to netip.AddrPort, n int) *dissect.Packet {
		return &dissect.Packet{Proto: dissect.ProtoUDP, Src: from.Addr(), Dst: to.Addr(), SrcPort: from.Port(), DstPort: to.Port(), Payload: make([]byte, n)}
	}
	// The answer is seen first (the query was before the capture): the
	// listening port 53 still makes the local end the server.
	m.packet(udp(dns, client, 80), 2, 80, t0)
	m.packet(udp(client, dns, 30), 2, 30, t0.Add(ms))
	netflow, _ := flushed(t, m, agg)
	if len(netflow) != 1 {
		t.Fatalf("%d points", len(netflow))
	}
	p := netflow[0]
	if tag(p, "direction") != "incoming" || tag(p, "transport") != "udp" || tag(p, "client_port") != "*" {
		t.Errorf("tags %v", p.Tags)
	}
	wantFields(t, p, map[string]int64{"bytes_read": 30, "bytes_written": 80, "retransmits": -1, "tcp_established": -1})
}

func TestMeterTableBound(t *testing.T) {
	m, _ := testMeter("10.0.0.1")
	m.lim.maxConns = 8
	for i := range 10 {
		c := netip.AddrPortFrom(cli.Addr(), uint16(50000+i))
		m.packet(seg(c, srv, 1, 0, dissect.SYN, ""), 3, 0, t0)
	}
	if m.drops != 2 || len(m.flows) != 8 {
		t.Errorf("table of 8: %d flows, %d dropped", len(m.flows), m.drops)
	}
}

// FuzzMeterSegments feeds arbitrary segment sequences (direction, flags,
// sequence jumps, payloads that may be HTTP) of one connection seen from
// both ends: the new bytes a view counts never exceed what was sent.
func FuzzMeterSegments(f *testing.F) {
	f.Add([]byte{0, 0x02, 0, 0, 1, 0x12, 0, 0, 0, 0x18, 0, 20, 1, 0x18, 0, 30, 0, 0x11, 0, 0, 1, 0x11, 0, 0})
	f.Add([]byte{0, 0x10, 0xff, 5, 0, 0x10, 0x00, 5, 1, 0x04, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, agg := testMeter("10.0.0.1", "10.0.0.2")
		seq := [2]uint32{100, 500}
		var sent [2]uint64
		body := []byte(req + resp)
		for i := 0; i+4 <= len(in); i += 4 {
			d := int(in[i] & 1)
			from, to := cli, srv
			if d == 1 {
				from, to = srv, cli
			}
			seq[d] += uint32(int8(in[i+2])) // jumps back (retransmissions) and ahead (gaps)
			n := min(int(in[i+3]), len(body))
			p := seg(from, to, seq[d], seq[1-d], in[i+1], string(body[:n]))
			m.packet(p, 1, n, t0.Add(time.Duration(i)*ms))
			sent[d] += uint64(n)
		}
		m.tick(t0.Add(time.Hour))
		agg.add(m.take())
		netflow, _ := agg.flush(t0)
		for _, p := range netflow {
			v := 0 // the local end, by address: cli sent sent[0]
			if tag(p, "src_ip") == srv.Addr().String() {
				v = 1
			}
			if w, r := fieldInt(p, "bytes_written"), fieldInt(p, "bytes_read"); uint64(w) > sent[v] || uint64(r) > sent[1-v] {
				t.Fatalf("view %d: written %d read %d, sent %v", v, w, r, sent)
			}
		}
		if len(m.flows) != 0 {
			t.Fatalf("%d flows left after an hour", len(m.flows))
		}
	})
}
