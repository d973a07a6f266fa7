package collect

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// conn emits the events of one socket with a shared clock.
type conn struct {
	c             *Collector
	clock         *uint64
	id            uint64
	proto         l7.Proto
	pid           uint32
	comm          string
	local, remote netip.AddrPort
}

func (k conn) ev(dir l7.Dir, b []byte) {
	*k.clock += 1000
	e := l7.Event{Dir: dir, Proto: k.proto, Pid: k.pid, Tid: k.pid, TimestampNs: *k.clock, SockID: k.id,
		Local: k.local, Remote: k.remote, TotalLen: uint32(len(b)), Payload: b[:min(len(b), l7.DefaultCaptureBytes)]}
	copy(e.Comm[:], k.comm)
	k.c.Handle(&e)
}

var server = netip.MustParseAddrPort("127.0.0.1:80")

// exchange plays one HTTP request/response on a fresh connection, seen by
// both the client's and the server's socket.
func exchange(c *Collector, clock *uint64, id uint64, srv netip.AddrPort, req, resp string) {
	cli := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+id))
	client := conn{c, clock, 2 * id, l7.TCP, 100, "curl", cli, srv}
	serverSide := conn{c, clock, 2*id + 1, l7.TCP, 200, "nginx", srv, cli}
	client.ev(l7.DirSend, []byte(req))
	serverSide.ev(l7.DirRecv, []byte(req))
	serverSide.ev(l7.DirSend, []byte(resp))
	client.ev(l7.DirRecv, []byte(resp))
	client.ev(l7.DirClose, nil)
	serverSide.ev(l7.DirClose, nil)
}

func TestHTTPFlowCountsEqualTruth(t *testing.T) {
	c := New(Config{Enabled: []string{"http"}})
	var clock uint64
	truth := map[string]int{"/index.html 200": 7, "/moved 301": 3, "/missing 404": 5, "/fail 500": 2, "/echo 200": 4}
	reqs := map[string][2]string{
		"/index.html 200": {recorded.IndexQueryRequest, recorded.IndexQueryResponse},
		"/moved 301":      {recorded.MovedRequest, recorded.MovedResponse},
		"/missing 404":    {recorded.MissingRequest, recorded.MissingResponse},
		"/fail 500":       {recorded.FailRequest, recorded.FailResponse},
		"/echo 200":       {recorded.PostRequest, recorded.PostResponse},
	}
	id := uint64(1)
	for k, n := range truth {
		for i := 0; i < n; i++ {
			exchange(c, &clock, id, server, reqs[k][0], reqs[k][1])
			id++
		}
	}
	got := map[string]int{}
	for _, p := range c.Flush(time.Unix(1, 0)) {
		checkSchema(t, &p)
		path, _ := field(&p, "path")
		status, _ := field(&p, "status_code")
		count, _ := field(&p, "count")
		latency, _ := field(&p, "latency")
		dir, _ := tag(&p, "direction")
		pid, _ := tag(&p, "pid")
		port, _ := tag(&p, "client_port")
		if latency.IntV() <= 0 || port != "*" {
			t.Errorf("latency %d client_port %q", latency.IntV(), port)
		}
		if (dir == "outgoing") != (pid == "100") {
			t.Errorf("direction %s from pid %s", dir, pid)
		}
		got[fmt.Sprintf("%s %s %d", dir, path.StringV(), status.IntV())] += int(count.IntV())
	}
	for k, n := range truth {
		for _, dir := range []string{"outgoing", "incoming"} {
			if got[dir+" "+k] != n {
				t.Errorf("%s %s: count %d, want %d", dir, k, got[dir+" "+k], n)
			}
		}
	}
	if len(c.Flush(time.Unix(2, 0))) != 0 {
		t.Error("second flush not empty")
	}
}

func TestDNSFlowAndDomains(t *testing.T) {
	c := New(Config{Enabled: []string{"http", "dns"}, Stream: streamConfig()})
	var clock uint64
	resolver := netip.MustParseAddrPort("127.0.0.1:53")
	dig := conn{c, &clock, 1, l7.UDP, 4242, "dig", netip.MustParseAddrPort("127.0.0.1:50000"), resolver}
	shop := netip.MustParseAddr("192.0.2.7")
	for i := uint16(0); i < 3; i++ {
		dig.ev(l7.DirSend, dnswire.Query(i, "shop.example.", dnsmessage.TypeA))
		dig.ev(l7.DirRecv, dnswire.Response(i, "shop.example.", dnsmessage.RCodeSuccess, false, shop))
	}
	dig.ev(l7.DirSend, dnswire.Query(10, "missing.example.", dnsmessage.TypeA))
	dig.ev(l7.DirRecv, dnswire.Response(10, "missing.example.", dnsmessage.RCodeNameError, false))
	dig.ev(l7.DirSend, dnswire.Query(11, "silent.example.", dnsmessage.TypeA))
	c.Advance(clock + uint64(6*time.Second))
	tcp := conn{c, &clock, 2, l7.TCP, 4243, "dig", netip.MustParseAddrPort("127.0.0.1:50001"), resolver}
	q := dnswire.Framed(dnswire.Query(12, "tcp.example.", dnsmessage.TypeA))
	r := dnswire.Framed(dnswire.Response(12, "tcp.example.", dnsmessage.RCodeSuccess, false, shop))
	tcp.ev(l7.DirSend, q)
	tcp.ev(l7.DirRecv, r[:1])
	tcp.ev(l7.DirRecv, r[1:20])
	tcp.ev(l7.DirRecv, r[20:])
	// An HTTP connection to the resolved address carries its domain.
	exchange(c, &clock, 5, netip.AddrPortFrom(shop, 80), recorded.IndexQueryRequest, recorded.IndexQueryResponse)

	if n, ok := c.Domains().Lookup(shop); !ok || n != "tcp.example" {
		t.Errorf("domain cache: %q %v", n, ok)
	}
	got := map[string]string{}
	for _, p := range c.Flush(time.Unix(1, 0)) {
		checkSchema(t, &p)
		if p.Name == "httpflow" {
			if d, _ := tag(&p, "dst_domain"); d == "tcp.example" {
				got["http"] = d
			}
			continue
		}
		name, _ := tag(&p, "dst_domain")
		pid, _ := tag(&p, "pid")
		transport, _ := tag(&p, "transport")
		count, _ := field(&p, "count")
		rcode, _ := field(&p, "rcode")
		lmax, _ := field(&p, "latency_max")
		got[name] = fmt.Sprintf("pid=%s %s count=%d rcode=%d", pid, transport, count.IntV(), rcode.IntV())
		if lmax.IntV() <= 0 {
			t.Errorf("%s: latency_max %d", name, lmax.IntV())
		}
	}
	want := map[string]string{
		"shop.example":    "pid=4242 udp count=3 rcode=0",
		"missing.example": "pid=4242 udp count=1 rcode=3",
		"silent.example":  "pid=4242 udp count=1 rcode=-1",
		"tcp.example":     "pid=4243 tcp count=1 rcode=0",
		"http":            "tcp.example",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}

func streamConfig() stream.Config { return stream.Config{DNSTimeout: 5 * time.Second} }

func TestHTTPOffAndOverflow(t *testing.T) {
	c := New(Config{MaxSeries: 2})
	var clock uint64
	exchange(c, &clock, 1, server, recorded.MovedRequest, recorded.MovedResponse)
	if pts := c.Flush(time.Unix(1, 0)); len(pts) != 0 {
		t.Fatalf("httpflow off, got %d points", len(pts))
	}
	c = New(Config{Enabled: []string{"http"}, MaxSeries: 2})
	for i := uint64(1); i <= 3; i++ {
		req := strings.Replace(recorded.MovedRequest, "/moved", fmt.Sprint("/p", i), 1)
		exchange(c, &clock, i, server, req, recorded.MovedResponse)
	}
	if pts, st := c.Flush(time.Unix(1, 0)), c.Stats(); len(pts) != 2 || st.SeriesOverflow["http"] != 4 {
		t.Fatalf("%d points, stats %+v", len(pts), st)
	}
}

func tag(p *lp.Point, key string) (string, bool) {
	for _, t := range p.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

func field(p *lp.Point, key string) (lineprotocol.Value, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return lineprotocol.Value{}, false
}

// checkSchema checks a point against its declaration and that it encodes.
func checkSchema(t *testing.T, p *lp.Point) {
	t.Helper()
	m, ok := measure.Lookup(p.Name)
	if !ok {
		t.Fatalf("undeclared measurement %s", p.Name)
	}
	var tags []string
	for _, tg := range m.Complete(p.Tags, nil) { // as enrich.Complete sends it
		tags = append(tags, tg.Key)
	}
	types := map[string]measure.Type{}
	for _, f := range p.Fields {
		types[f.Key] = map[lineprotocol.ValueKind]measure.Type{lineprotocol.Int: measure.Int, lineprotocol.String: measure.String, lineprotocol.Bool: measure.Bool}[f.Value.Kind()]
	}
	if err := m.Check(tags, types); err != nil {
		t.Fatal(err)
	}
	if _, err := lp.Encode(nil, []lp.Point{*p}); err != nil {
		t.Fatal(err)
	}
}

// With dnsflow off, DNS over TCP that httpflow's capture of every TCP
// socket sees is dropped: no dnsflow point, no domain, and httpflow goes on.
func TestDNSOff(t *testing.T) {
	c := New(Config{Enabled: []string{"http"}, Stream: streamConfig()})
	var clock uint64
	shop := netip.MustParseAddr("192.0.2.7")
	tcp := conn{c, &clock, 2, l7.TCP, 4243, "dig", netip.MustParseAddrPort("127.0.0.1:50001"), netip.MustParseAddrPort("127.0.0.1:53")}
	tcp.ev(l7.DirSend, dnswire.Framed(dnswire.Query(12, "tcp.example.", dnsmessage.TypeA)))
	tcp.ev(l7.DirRecv, dnswire.Framed(dnswire.Response(12, "tcp.example.", dnsmessage.RCodeSuccess, false, shop)))
	exchange(c, &clock, 5, netip.AddrPortFrom(shop, 80), recorded.IndexQueryRequest, recorded.IndexQueryResponse)
	if n, ok := c.Domains().Lookup(shop); ok {
		t.Errorf("domain cache filled with dnsflow off: %q", n)
	}
	var names []string
	for _, p := range c.Flush(time.Unix(1, 0)) {
		names = append(names, p.Name)
	}
	if len(names) != 2 || names[0] != "httpflow" || names[1] != "httpflow" {
		t.Errorf("points %v, want httpflow of both sides only", names)
	}
	if st := c.Stats(); st.SeriesOverflow["dns"] != 0 {
		t.Errorf("stats %+v", st)
	}
}
