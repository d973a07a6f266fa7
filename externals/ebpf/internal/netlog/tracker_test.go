package netlog

import (
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
	"netobs.local/agent/filter"
)

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
	t0  = time.Unix(1_700_000_000, 0)
)

func seg(from, to netip.AddrPort, seq, ack uint32, flags uint8, payload string) *dissect.Packet {
	return &dissect.Packet{Proto: dissect.ProtoTCP, Src: from.Addr(), Dst: to.Addr(), SrcPort: from.Port(), DstPort: to.Port(),
		Seq: seq, Ack: ack, Flags: flags, Payload: []byte(payload)}
}

func testTracker(chunkSegments uint64) *tracker {
	return newTracker(netns{dev: 4, ino: 99}, []lp.Tag{{Key: "host", Value: "h"}},
		limits{interval: time.Minute, chunkSegments: chunkSegments, linger: time.Second, idle: 2 * time.Minute, maxConns: 8}, true)
}

// exchange feeds one HTTP exchange as the client's interface sees it, the
// request segment sent twice (a retransmission).
const (
	req  = "GET /a/b?x=1 HTTP/1.1\r\nHost: s\r\nTraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n"
	resp = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
)

func feedExchange(tr *tracker, l link) {
	in := func(p *dissect.Packet, sent bool, dt time.Duration) {
		tr.packet(p, 3, l, sent, len(p.Payload), t0.Add(dt))
	}
	A, S, F := dissect.ACK, dissect.SYN, dissect.FIN
	in(seg(cli, srv, 100, 0, S, ""), true, 0)
	in(seg(srv, cli, 500, 101, S|A, ""), false, 1)
	in(seg(cli, srv, 101, 501, A, ""), true, 2)
	in(seg(cli, srv, 101, 501, A, req), true, 3)
	in(seg(cli, srv, 101, 501, A, req), true, 4) // retransmitted
	in(seg(srv, cli, 501, 101+uint32(len(req)), A, resp), false, 5)
	in(seg(cli, srv, 101+uint32(len(req)), 501+uint32(len(resp)), A|F, ""), true, 6)
	in(seg(srv, cli, 501+uint32(len(resp)), 102+uint32(len(req)), A|F, ""), false, 7)
	in(seg(cli, srv, 102+uint32(len(req)), 502+uint32(len(resp)), A, ""), true, 8)
}

func TestTrackerConnectionLog(t *testing.T) {
	tr := testTracker(1000)
	feedExchange(tr, link{name: "eth0", mac: "02:00:00:00:00:01"})
	l4, l7 := tr.take() // the L7 log goes out with the response
	if len(l4) != 0 {
		t.Fatalf("closed connection logged before the linger: %v", l4)
	}
	tr.tick(t0.Add(2 * time.Second))
	l4, _ = tr.take()
	if len(l4) != 1 || len(l7) != 1 || len(tr.conns) != 0 {
		t.Fatalf("l4 %d, l7 %d, conns left %d", len(l4), len(l7), len(tr.conns))
	}
	p := l4[0]
	const reqLen, respLen int64 = int64(len(req)), int64(len(resp))
	want := map[string]int64{"chunk_id": 1, "tx_packets": 6, "rx_packets": 3, "tx_bytes": 2 * reqLen, "rx_bytes": respLen,
		"tx_retrans": 1, "rx_retrans": 0, "tcp_syn_retrans": 0, "tx_seq_min": 100, "tx_seq_max": 102 + reqLen, "rx_seq_min": 500, "rx_seq_max": 501 + respLen}
	for k, v := range want {
		if got := fieldInt(p, k); got != v {
			t.Errorf("%s = %d, want %d", k, got, v)
		}
	}
	for k, v := range map[string]string{"conn_side": "client", "direction": "outgoing", "src_ip": "10.0.0.1", "server_port": "80",
		"l7_proto": "HTTP", "netns": "NS(4:99)", "nic_name": "eth0", "vxlan_packet": "false"} {
		if tag(p, k) != v {
			t.Errorf("tag %s = %q, want %q", k, tag(p, k), v)
		}
	}
	if got := fieldStr(p, "message"); got != "10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN, ACK, FIN, PSH" && !strings.HasPrefix(got, "10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN, ACK, FIN") {
		t.Errorf("message %q", got)
	}
	r := l7[0]
	if fieldStr(r, "http_method") != "GET" || fieldStr(r, "http_path") != "/a/b" || fieldInt(r, "http_status_code") != 201 ||
		fieldInt(r, "tx_seq") != 101 || fieldInt(r, "rx_seq") != 501 || tag(r, "trace_id") != "0af7651916cd43dd8448eb211c80319c" ||
		tag(r, "parent_id") != "b7ad6b7169203331" || tag(r, "inner_traceid") != tag(p, "inner_traceid") {
		t.Errorf("L7 %v %v", r.Tags, r.Fields)
	}
	checkSchema(t, p, measure.NetL4Log)
	checkSchema(t, r, measure.NetL7Log)
}

func checkSchema(t *testing.T, p lp.Point, m *measure.Measurement) {
	t.Helper()
	var tags []string
	for _, tg := range m.Complete(p.Tags, nil) { // as enrich.Complete sends it
		tags = append(tags, tg.Key)
	}
	types := map[string]measure.Type{}
	for _, f := range p.Fields {
		types[f.Key] = measure.Type(strings.ToLower(f.Value.Kind().String()))
	}
	if err := m.Check(tags, types); err != nil {
		t.Error(err)
	}
}

func TestTrackerChunksBySegments(t *testing.T) {
	tr := testTracker(4)
	feedExchange(tr, link{name: "eth0"})
	tr.tick(t0.Add(2 * time.Second))
	l4, _ := tr.take()
	var total int64
	for i, p := range l4 {
		if fieldInt(p, "chunk_id") != int64(i+1) || tag(p, "inner_traceid") != tag(l4[0], "inner_traceid") {
			t.Errorf("chunk %d: id %d", i, fieldInt(p, "chunk_id"))
		}
		total += fieldInt(p, "tx_packets") + fieldInt(p, "rx_packets")
	}
	if len(l4) != 3 || total != 9 {
		t.Fatalf("%d chunks with %d packets, want 3 chunks (4+4+1) with 9", len(l4), total)
	}
}

func TestTrackerChunksByTime(t *testing.T) {
	tr := testTracker(1000)
	tr.packet(seg(cli, srv, 1, 1, dissect.ACK, "x"), 3, link{}, true, 1, t0)
	tr.tick(t0.Add(30 * time.Second))
	if l4, _ := tr.take(); len(l4) != 0 {
		t.Fatal("chunk cut before the interval")
	}
	tr.tick(t0.Add(61 * time.Second))
	if l4, _ := tr.take(); len(l4) != 1 || tag(l4[0], "conn_side") != "unknown" || tag(l4[0], "server_port") != "80" {
		t.Fatalf("interval chunk: %v", l4)
	}
	tr.tick(t0.Add(125 * time.Second)) // idle: forgotten, nothing new to log
	if l4, _ := tr.take(); len(l4) != 0 || len(tr.conns) != 0 {
		t.Fatalf("idle connection: %d points, %d conns", len(l4), len(tr.conns))
	}
}

func TestTrackerLoopbackCountsOnceAsClientView(t *testing.T) {
	tr := testTracker(1000)
	lo := link{name: "lo", loopback: true}
	// On lo every kept copy is "sent"; the client is the local end.
	tr.packet(seg(cli, srv, 100, 0, dissect.SYN, ""), 1, lo, true, 0, t0)
	tr.packet(seg(srv, cli, 500, 101, dissect.SYN|dissect.ACK, ""), 1, lo, true, 0, t0)
	tr.finishAll()
	l4, _ := tr.take()
	if len(l4) != 1 || fieldInt(l4[0], "tx_packets") != 1 || fieldInt(l4[0], "rx_packets") != 1 || tag(l4[0], "src_port") != "40000" {
		t.Fatalf("%v", l4)
	}
}

func TestSynRetransAndTableFull(t *testing.T) {
	tr := testTracker(1000)
	tr.packet(seg(cli, srv, 100, 0, dissect.SYN, ""), 3, link{}, true, 0, t0)
	tr.packet(seg(cli, srv, 100, 0, dissect.SYN, ""), 3, link{}, true, 0, t0.Add(time.Second))
	for i := range 10 {
		c := netip.AddrPortFrom(cli.Addr(), uint16(50000+i))
		tr.packet(seg(c, srv, 1, 0, dissect.SYN, ""), 3, link{}, true, 0, t0)
	}
	if tr.drops != 3 {
		t.Errorf("table of 8: %d dropped, want 3", tr.drops)
	}
	tr.finishAll()
	l4, _ := tr.take()
	for _, p := range l4 {
		if tag(p, "src_port") == "40000" && (fieldInt(p, "tcp_syn_retrans") != 1 || fieldInt(p, "tx_retrans") != 1) {
			t.Errorf("syn retrans %d, tx_retrans %d", fieldInt(p, "tcp_syn_retrans"), fieldInt(p, "tx_retrans"))
		}
	}
}

func TestBlacklistThatDoesNotCompileStopsThePlugin(t *testing.T) {
	p := New(Config{Log: true, Blacklist: "tcp &&\nsrc_prot == 80"}, &recordingSink{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := p.Load()
	if err == nil || !strings.Contains(err.Error(), "netlog_blacklist") || !strings.Contains(err.Error(), "2:1: unknown field src_prot") {
		t.Fatalf("got %v", err)
	}
	if err := New(Config{}, &recordingSink{}, slog.Default()).Load(); err == nil {
		t.Fatal("neither log nor metric: accepted")
	}
}

func TestPacketRecord(t *testing.T) {
	rules, err := filter.Compile(`udp && src_port == 5353 && ip6_saddr == "fd00::1"
		tcp && ip_saddr == "10.0.0.2" && dst_port == 40000`, filter.Netlog)
	if err != nil {
		t.Fatal(err)
	}
	var names addrNames
	r := packetRecord{names: &names}
	in := seg(srv, cli, 1, 1, dissect.ACK, "")
	r.set(in, false) // received: the local end (10.0.0.1:40000) is src
	if _, drop := rules.Match(&r); drop {
		t.Error("received packet matched as if its sender were local")
	}
	r.set(in, true)
	if i, drop := rules.Match(&r); !drop || i != 1 {
		t.Error("sent packet not matched by rule 1")
	}
	u := &dissect.Packet{Proto: dissect.ProtoUDP, Src: netip.MustParseAddr("fd00::1"), Dst: netip.MustParseAddr("ff02::fb"), SrcPort: 5353, DstPort: 5353}
	r.set(u, true)
	if i, drop := rules.Match(&r); !drop || i != 0 {
		t.Error("UDP packet not matched by rule 0")
	}
	if n := testing.AllocsPerRun(100, func() { r.set(in, true); rules.Match(&r) }); n != 0 {
		t.Errorf("%v allocations per match", n)
	}
}

// exchangeLog feeds one request and its response on a fresh connection
// and returns the L7 logs.
func exchangeLog(req, resp []byte) []lp.Point {
	tr := testTracker(1000)
	in := func(p *dissect.Packet, sent bool) { tr.packet(p, 3, link{name: "eth0"}, sent, len(p.Payload), t0) }
	A, S := dissect.ACK, dissect.SYN
	in(seg(cli, srv, 100, 0, S, ""), true)
	in(seg(srv, cli, 500, 101, S|A, ""), false)
	p := seg(cli, srv, 101, 501, A, "")
	p.Payload = req
	in(p, true)
	p = seg(srv, cli, 501, 101+uint32(len(req)), A, "")
	p.Payload = resp
	in(p, false)
	tr.finishAll()
	_, l7 := tr.take()
	return l7
}

// The trace ids come from the request head's trace headers, through the
// L7 engine's parser: W3C first, Datadog's else; nothing from a body.
func TestTraceHeaders(t *testing.T) {
	for _, c := range []struct{ head, trace, parent string }{
		{"GET / HTTP/1.1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"},
		{"GET / HTTP/1.1\r\nX-Datadog-Trace-Id: 123\r\nx-datadog-parent-id:  456 \r\n\r\n", "123", "456"},
		{"GET / HTTP/1.1\r\ntraceparent: 00-nothex-b7ad6b7169203331-01\r\n\r\n", "N/A", "N/A"},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 87\r\n\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n", "N/A", "N/A"}, // in the body
	} {
		l7 := exchangeLog([]byte(c.head), []byte("HTTP/1.1 204 No Content\r\n\r\n"))
		if len(l7) != 1 || tag(l7[0], "trace_id") != c.trace || tag(l7[0], "parent_id") != c.parent {
			t.Errorf("%q: %v", c.head, l7)
		}
	}
}

// Whatever the payloads, the L7 log stays well formed and bounded.
func FuzzL7Log(f *testing.F) {
	f.Add([]byte("GET /x HTTP/1.1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.0\r\nx-datadog-trace-id: 1\r\n"), []byte("HTTP/1.0 100 Continue\r\n\r\n"))
	// Issue 14's edges: empty lines first, other methods, path parameters,
	// pipelining, an interim and its final response in one segment, a
	// status code of four digits.
	f.Add([]byte("\r\nGET /a;jsessionid=S HTTP/1.1\r\n\r\nPROPFIND /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"),
		[]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\nHTTP/1.1 207 M\r\n\r\n"))
	f.Add([]byte("BREW /pot HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 1000 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		l7 := exchangeLog(req, resp)
		if len(l7) > 64 { // twice the parser's pending bound

			t.Fatalf("%d logs of one request segment", len(l7))
		}
		for _, p := range l7 {
			if st := fieldInt(p, "http_status_code"); st != 0 && (st < 100 || st > 999) {
				t.Fatalf("status %d", st)
			}
		}
	})
}

// The L7 log frames messages as httpflow does, since both come from the
// engine's parser: a request body that starts a segment with something
// shaped like a request line is body, not a second request.
func TestL7LogFramesBodies(t *testing.T) {
	tr := testTracker(1000)
	in := func(p *dissect.Packet, sent bool) { tr.packet(p, 3, link{name: "eth0"}, sent, len(p.Payload), t0) }
	A, S := dissect.ACK, dissect.SYN
	head, body := "POST /upload HTTP/1.1\r\nContent-Length: 22\r\n\r\n", "GET /fake HTTP/1.1\r\n\r\n"
	in(seg(cli, srv, 100, 0, S, ""), true)
	in(seg(srv, cli, 500, 101, S|A, ""), false)
	in(seg(cli, srv, 101, 501, A, head), true)
	in(seg(cli, srv, 101+uint32(len(head)), 501, A, body), true)
	in(seg(srv, cli, 501, 101+uint32(len(head)+len(body)), A, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false)
	tr.finishAll()
	_, l7 := tr.take()
	if len(l7) != 1 || fieldStr(l7[0], "http_path") != "/upload" || fieldInt(l7[0], "http_status_code") != 200 {
		for _, p := range l7 {
			t.Logf("%s %d", fieldStr(p, "http_path"), fieldInt(p, "http_status_code"))
		}
		t.Fatalf("%d L7 logs, want the POST alone", len(l7))
	}
}

// The edges of issue 14 as netlog meets them in segments, now parsed by
// the L7 engine: empty lines, any method, path parameters stripped,
// pipelining, an interim and its final response in one segment, bad
// status codes.
func TestL7LogEdges(t *testing.T) {
	type ex struct {
		method, path string
		status       int64
	}
	for _, tc := range []struct {
		name, req, resp string
		want            []ex
	}{
		{"empty line, webdav, path parameter, interim then final",
			"\r\nPROPFIND /dav;jsessionid=SECRET HTTP/1.1\r\nDepth: 1\r\n\r\n",
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n",
			[]ex{{"PROPFIND", "/dav", 207}}},
		{"pipelined, unknown method, empty line between responses",
			"GET /a?q=1 HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcBREW /c;x HTTP/1.1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 418 Teapot\r\n\r\n",
			[]ex{{"GET", "/a", 200}, {"POST", "/b", 201}, {"OTHER", "/c", 418}}},
		{"response to HEAD has no body", "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n",
			[]ex{{"HEAD", "/h", 200}, {"GET", "/g", 304}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []ex
			for _, p := range exchangeLog([]byte(tc.req), []byte(tc.resp)) {
				got = append(got, ex{fieldStr(p, "http_method"), fieldStr(p, "http_path"), fieldInt(p, "http_status_code")})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, resp := range []string{"HTTP/1.1 1000 OK\r\n\r\n", "HTTP/1.1 200X\r\n\r\n", "HTTP/1.1 100 Continue\r\n\r\n"} {
		for _, p := range exchangeLog([]byte("GET / HTTP/1.1\r\n\r\n"), []byte(resp)) {
			if st := fieldInt(p, "http_status_code"); st != 0 {
				t.Errorf("%q: status %d, want none", resp, st)
			}
		}
	}
}
