package netlog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/tests/testenv"
)

// recordingSink keeps every point written to it.
type recordingSink struct {
	mu  sync.Mutex
	pts []lp.Point
}

func (s *recordingSink) Write(_, _ string, pts []lp.Point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pts = append(s.pts, pts...)
}

// find returns the points of measurement name whose tags include all of want.
func (s *recordingSink) find(name string, want map[string]string) []lp.Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []lp.Point
	for _, p := range s.pts {
		if p.Name == name && hasTags(p, want) {
			out = append(out, p)
		}
	}
	return out
}

func hasTags(p lp.Point, want map[string]string) bool {
	for k, v := range want {
		if tag(p, k) != v {
			return false
		}
	}
	return true
}

func tag(p lp.Point, k string) string {
	for _, t := range p.Tags {
		if t.Key == k {
			return t.Value
		}
	}
	return ""
}

func fieldInt(p lp.Point, k string) int64 {
	for _, f := range p.Fields {
		if f.Key == k {
			return f.Value.IntV()
		}
	}
	return -1
}

func fieldStr(p lp.Point, k string) string {
	for _, f := range p.Fields {
		if f.Key == k {
			return f.Value.StringV()
		}
	}
	return ""
}

// testNet is two namespaces joined by a veth pair (10.233.1.0/24), with a
// VXLAN (VNI 42, UDP 4789) over it (10.234.0.0/24). The client is in a, a
// python HTTP server listens in b on 8080 and 8081.
type testNet struct {
	a, b      *testenv.Netns
	vethA     string
	dir       string
	hits      int
	clientLog []string
}

func newTestNet(t *testing.T) *testNet {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "ip", "tcpdump", "tshark", "curl", "python3")
	n := &testNet{a: testenv.NewNetns(t), b: testenv.NewNetns(t), dir: t.TempDir()}
	n.vethA = fmt.Sprintf("nla%d", os.Getpid()%100000)
	vethB := fmt.Sprintf("nlb%d", os.Getpid()%100000)
	testenv.Run(t, "ip", "link", "add", n.vethA, "netns", n.a.Name, "type", "veth", "peer", "name", vethB, "netns", n.b.Name)
	for _, side := range []struct {
		ns         *testenv.Netns
		dev        string
		ip, remote string
		vxip       string
	}{{n.a, n.vethA, "10.233.1.1", "10.233.1.2", "10.234.0.1"}, {n.b, vethB, "10.233.1.2", "10.233.1.1", "10.234.0.2"}} {
		side.ns.Run(t, "ip", "addr", "add", side.ip+"/24", "dev", side.dev)
		side.ns.Run(t, "ip", "link", "set", side.dev, "up")
		side.ns.Run(t, "ip", "link", "add", "vx42", "type", "vxlan", "id", "42", "remote", side.remote, "local", side.ip, "dstport", "4789", "dev", side.dev)
		side.ns.Run(t, "ip", "addr", "add", side.vxip+"/24", "dev", "vx42")
		side.ns.Run(t, "ip", "link", "set", "vx42", "up")
	}
	os.WriteFile(filepath.Join(n.dir, "hello.txt"), []byte("hello from the server namespace\n"), 0o644)
	for _, port := range []string{"8080", "8081"} {
		cmd := n.b.Exec("python3", "-m", "http.server", port, "--bind", "0.0.0.0", "--directory", n.dir)
		testenv.StartCmd(t, cmd)
	}
	testenv.Eventually(t, 10*time.Second, "the HTTP servers", func() bool {
		return n.a.Exec("curl", "-sf", "-o", "/dev/null", "http://10.233.1.2:8080/").Run() == nil &&
			n.a.Exec("curl", "-sf", "-o", "/dev/null", "http://10.233.1.2:8081/").Run() == nil
	})
	return n
}

// tcpdump starts a capture on dev in namespace ns and returns the file and
// a function that stops the capture.
func tcpdump(t *testing.T, ns *testenv.Netns, dev string) (string, func()) {
	file := filepath.Join(t.TempDir(), dev+".pcap")
	p := testenv.StartCmd(t, ns.Exec("tcpdump", "-i", dev, "--immediate-mode", "-U", "-n", "-s", "0", "-w", file))
	testenv.Eventually(t, 10*time.Second, "tcpdump on "+dev, func() bool { return strings.Contains(p.Output(), "listening on") })
	return file, func() { p.Stop(5 * time.Second) }
}

// curl runs curl in the client namespace and returns its local port.
func (n *testNet) curl(t *testing.T, args ...string) int {
	out := n.a.Run(t, "curl", append([]string{"-s", "-o", "/dev/null", "-w", "%{local_port} %{http_code}"}, args...)...)
	port, err := strconv.Atoi(strings.Fields(out)[0])
	if err != nil {
		t.Fatalf("curl output %q", out)
	}
	return port
}

// tsharkCounts counts the packets and TCP payload bytes of the connection
// with client port cport in file, sent (from local) and received.
func tsharkCounts(t *testing.T, file string, cport int, local string) (txPkts, txBytes, rxPkts, rxBytes int64) {
	out, err := exec.Command("tshark", "-r", file, "-Y", fmt.Sprintf("tcp.port == %d", cport),
		"-T", "fields", "-E", "occurrence=l", "-e", "ip.src", "-e", "tcp.len").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", file, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("tshark line %q", line)
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		if f[0] == local {
			txPkts, txBytes = txPkts+1, txBytes+n
		} else {
			rxPkts, rxBytes = rxPkts+1, rxBytes+n
		}
	}
	return
}

func sum(pts []lp.Point, field string) int64 {
	var s int64
	for _, p := range pts {
		s += fieldInt(p, field)
	}
	return s
}

func TestEndToEnd(t *testing.T) {
	n := newTestNet(t)
	pcapVeth, stopVeth := tcpdump(t, n.a, n.vethA)
	pcapVX, stopVX := tcpdump(t, n.a, "vx42")

	sink := &recordingSink{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := New(Config{
		Blacklist: "tcp && (src_port == 8081 || dst_port == 8081)",
		Log:       true, Interval: time.Minute, Hostname: "h1",
		Netns: []string{"/run/netns/" + n.a.Name}, Tick: 100 * time.Millisecond, Linger: 300 * time.Millisecond, Discover: time.Second,
	}, sink, log)
	stop := run(t, p)

	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	direct := n.curl(t, "-H", "traceparent: 00-"+trace+"-00f067aa0ba902b7-01", "http://10.233.1.2:8080/hello.txt?q=1")
	missing := n.curl(t, "-H", "x-datadog-trace-id: 1234567890", "-H", "x-datadog-parent-id: 42", "http://10.233.1.2:8080/missing;jsessionid=SECRET") // the parameter is stripped from http_path
	overlay := n.curl(t, "http://10.234.0.2:8080/hello.txt")
	blocked := n.curl(t, "http://10.233.1.2:8081/hello.txt")

	l4 := func(cport int, nic string) []lp.Point {
		return sink.find("bpf_net_l4_log", map[string]string{"src_port": strconv.Itoa(cport), "nic_name": nic})
	}
	testenv.Eventually(t, 10*time.Second, "the L4 logs of the closed connections", func() bool {
		return len(l4(direct, n.vethA)) > 0 && len(l4(missing, n.vethA)) > 0 && len(l4(overlay, n.vethA)) > 0 && len(l4(overlay, "vx42")) > 0
	})
	stopVeth()
	stopVX()
	stop()

	check := func(what string, pts []lp.Point, file string, cport int, local string) {
		t.Helper()
		txP, txB, rxP, rxB := tsharkCounts(t, file, cport, local)
		got := [4]int64{sum(pts, "tx_packets"), sum(pts, "tx_bytes"), sum(pts, "rx_packets"), sum(pts, "rx_bytes")}
		if want := [4]int64{txP, txB, rxP, rxB}; got != want || txP == 0 {
			t.Errorf("%s: tx packets/bytes, rx packets/bytes = %v, tshark says %v", what, got, want)
		}
		for _, pt := range pts {
			if tag(pt, "conn_side") != "client" || tag(pt, "direction") != "outgoing" || tag(pt, "server_port") != "8080" ||
				tag(pt, "netns") == "" || tag(pt, "host_network") != "false" || tag(pt, "virtual_nic") != "true" {
				t.Errorf("%s: tags %v", what, pt.Tags)
			}
		}
	}
	check("direct", l4(direct, n.vethA), pcapVeth, direct, "10.233.1.1")
	check("404", l4(missing, n.vethA), pcapVeth, missing, "10.233.1.1")
	check("overlay on the veth", l4(overlay, n.vethA), pcapVeth, overlay, "10.234.0.1")
	check("overlay on vx42", l4(overlay, "vx42"), pcapVX, overlay, "10.234.0.1")

	if pts := l4(overlay, n.vethA); tag(pts[0], "vxlan_packet") != "true" || tag(pts[0], "vni_id") != "42" {
		t.Errorf("overlay on the veth: vxlan_packet %s vni_id %s", tag(pts[0], "vxlan_packet"), tag(pts[0], "vni_id"))
	}
	if pts := l4(overlay, "vx42"); tag(pts[0], "vxlan_packet") != "false" {
		t.Errorf("overlay on vx42 (decapsulated) marked as VXLAN")
	}
	if pts := l4(blocked, n.vethA); len(pts) != 0 {
		t.Errorf("blacklisted connection logged: %v", pts)
	}
	blockedPkts, _, blockedRx, _ := tsharkCounts(t, pcapVeth, blocked, "10.233.1.1")
	t.Logf("blocked: %d+%d packets, filtered %d; stats %d packets", blockedPkts, blockedRx, p.stats.filtered.Load(), p.stats.packets.Load())
	if got := p.stats.filtered.Load(); got != uint64(blockedPkts+blockedRx) {
		t.Errorf("blacklist dropped %d packets; the blocked connection has %d", got, blockedPkts+blockedRx)
	}

	l7 := func(cport int, nic string) lp.Point {
		t.Helper()
		pts := sink.find("bpf_net_l7_log", map[string]string{"src_port": strconv.Itoa(cport), "nic_name": nic})
		if len(pts) != 1 {
			t.Fatalf("L7 logs of port %d on %s: %d, want 1", cport, nic, len(pts))
		}
		return pts[0]
	}
	for _, c := range []struct {
		cport         int
		nic           string
		path          string
		status        int64
		trace, parent string
	}{
		{direct, n.vethA, "/hello.txt", 200, trace, "00f067aa0ba902b7"},
		{missing, n.vethA, "/missing", 404, "1234567890", "42"},
		{overlay, n.vethA, "/hello.txt", 200, "N/A", "N/A"},
		{overlay, "vx42", "/hello.txt", 200, "N/A", "N/A"},
	} {
		pt := l7(c.cport, c.nic)
		if fieldStr(pt, "http_method") != "GET" || fieldStr(pt, "http_path") != c.path || fieldInt(pt, "http_status_code") != c.status ||
			tag(pt, "trace_id") != c.trace || tag(pt, "parent_id") != c.parent {
			t.Errorf("L7 of port %d on %s: %v %v", c.cport, c.nic, pt.Tags, pt.Fields)
		}
		if l4pts := l4(c.cport, c.nic); tag(pt, "inner_traceid") != tag(l4pts[0], "inner_traceid") {
			t.Errorf("L7 of port %d on %s: inner_traceid differs from the L4 log's", c.cport, c.nic)
		}
	}
	if a, b := l7(overlay, n.vethA), l7(overlay, "vx42"); tag(a, "l7_traceid") != tag(b, "l7_traceid") || tag(a, "inner_traceid") == tag(b, "inner_traceid") {
		t.Errorf("one request on two interfaces: l7_traceid %s/%s (want equal), inner_traceid %s/%s (want different)",
			tag(a, "l7_traceid"), tag(b, "l7_traceid"), tag(a, "inner_traceid"), tag(b, "inner_traceid"))
	}
	if a, b := l7(direct, n.vethA), l7(missing, n.vethA); tag(a, "l7_traceid") == tag(b, "l7_traceid") {
		t.Errorf("two requests share l7_traceid %s", tag(a, "l7_traceid"))
	}
}

// run loads and starts p; the returned stop (also run at the test's end)
// stops and closes it once, so a test can stop early to flush.
func run(t *testing.T, p *Plugin) (stop func()) {
	t.Helper()
	if err := p.Load(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { p.Stop(); p.Close() }) }
	t.Cleanup(stop)
	return stop
}
