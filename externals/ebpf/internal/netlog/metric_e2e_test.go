package netlog

import (
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/tests/testenv"
)

// curlCounts runs curl in namespace ns and returns the bytes it
// wrote (request head and body) and read (response heads and body).
func curlCounts(t *testing.T, ns *testenv.Netns, args ...string) (written, read int64) {
	t.Helper()
	out := ns.Run(t, "curl", append([]string{"-s", "-o", "/dev/null", "-w", "%{size_request} %{size_upload} %{size_header} %{size_download}"}, args...)...)
	var v [4]int64
	if _, err := fmt.Sscan(out, &v[0], &v[1], &v[2], &v[3]); err != nil {
		t.Fatalf("curl -w output %q: %v", out, err)
	}
	return v[0] + v[1], v[2] + v[3]
}

// tsharkFlow sums, over the packets of file that match filter, the TCP
// payload bytes the client (clientIP) sent and received, and counts the
// connections (SYNs) and the TCP segments that tshark calls retransmissions.
func tsharkFlow(t *testing.T, file, filter, clientIP string) (sent, recv, conns int64) {
	t.Helper()
	out, err := exec.Command("tshark", "-r", file, "-Y", filter, "-T", "fields", "-E", "occurrence=l",
		"-e", "ip.src", "-e", "tcp.len", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", file, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		if f[0] == clientIP {
			sent += n
		} else {
			recv += n
		}
		if f[2] == "1" && f[3] == "0" {
			conns++
		}
	}
	return sent, recv, conns
}

// TestMetricEndToEnd: with netlog_metric in both namespaces of the test
// network, curl's exchanges give netflow whose bytes equal tshark's payload
// sums and curl's own counts, one established and one closed per
// connection, seen from both ends (client namespace outgoing, server
// namespace incoming); VXLAN traffic counted once although two interfaces
// carry it; httpflow with the right counts, methods, paths and statuses;
// nothing of the blacklisted port.
func TestMetricEndToEnd(t *testing.T) {
	n := newTestNet(t)
	pcapVeth, stopVeth := tcpdump(t, n.a, n.vethA)
	pcapVX, stopVX := tcpdump(t, n.a, "vx42")

	sink := &recordingSink{}
	p := New(Config{
		Blacklist: "tcp && (src_port == 8081 || dst_port == 8081)",
		Metric:    true, Interval: time.Second, Hostname: "h1",
		Netns: []string{"/run/netns/" + n.a.Name, "/run/netns/" + n.b.Name},
		Tick:  100 * time.Millisecond, Linger: 300 * time.Millisecond, Discover: time.Second,
	}, sink, slog.New(slog.NewTextHandler(io.Discard, nil)))
	stop := run(t, p)

	var curlW, curlR int64
	for _, args := range [][]string{
		{"http://10.233.1.2:8080/hello.txt?q=1"},
		{"http://10.233.1.2:8080/hello.txt"},
		{"http://10.233.1.2:8080/missing"},
		{"-I", "http://10.233.1.2:8080/hello.txt"},
	} {
		w, r := curlCounts(t, n.a, args...)
		curlW, curlR = curlW+w, curlR+r
	}
	curlCounts(t, n.a, "http://10.234.0.2:8080/hello.txt")          // over the VXLAN
	curlCounts(t, n.a, "http://10.233.1.2:8081/hello.txt")          // blacklisted
	loW, loR := curlCounts(t, n.b, "http://127.0.0.1:8080/missing") // lo: each packet once, both ends local
	const direct = 4

	netflow := func(want map[string]string) []lp.Point { return sink.find("netflow", want) }
	client := map[string]string{"direction": "outgoing", "src_ip": "10.233.1.1", "dst_ip": "10.233.1.2", "dst_port": "8080", "src_port": "*"}
	server := map[string]string{"direction": "incoming", "src_ip": "10.233.1.2", "src_port": "8080", "dst_ip": "10.233.1.1", "dst_port": "*"}
	overlayClient := map[string]string{"direction": "outgoing", "src_ip": "10.234.0.1", "dst_ip": "10.234.0.2"}
	overlayServer := map[string]string{"direction": "incoming", "src_ip": "10.234.0.2", "dst_ip": "10.234.0.1"}
	loClient := map[string]string{"direction": "outgoing", "src_ip": "127.0.0.1", "dst_port": "8080"}
	loServer := map[string]string{"direction": "incoming", "src_ip": "127.0.0.1", "src_port": "8080"}
	testenv.Eventually(t, 15*time.Second, "netflow of every closed connection, both ends", func() bool {
		return sum(netflow(loClient), "tcp_closed") == 1 && sum(netflow(loServer), "tcp_closed") == 1 && sum(netflow(client), "tcp_closed") == direct && sum(netflow(server), "tcp_closed") == direct &&
			sum(netflow(overlayClient), "tcp_closed") == 1 && sum(netflow(overlayServer), "tcp_closed") == 1
	})
	stopVeth()
	stopVX()
	stop()

	check := func(what string, want map[string]string, written, read, conns int64) {
		t.Helper()
		pts := netflow(want)
		got := [4]int64{sum(pts, "bytes_written"), sum(pts, "bytes_read"), sum(pts, "tcp_established"), sum(pts, "tcp_closed")}
		t.Logf("%s: %d points, bytes written/read, established, closed = %v", what, len(pts), got)
		if w := [4]int64{written, read, conns, conns}; got != w || written == 0 || conns == 0 {
			t.Errorf("%s: bytes written/read, established, closed = %v, want %v", what, got, w)
		}
		for _, pt := range pts {
			if tag(pt, "sub_source") != "packet" || tag(pt, "transport") != "tcp" || tag(pt, "pid") != "N/A" || fieldInt(pt, "rtt") == 0 {
				t.Errorf("%s: %v %v", what, pt.Tags, pt.Fields)
			}
		}
	}
	sent, recv, conns := tsharkFlow(t, pcapVeth, "!vxlan && tcp.port == 8080", "10.233.1.1")
	if sent != curlW || recv != curlR || conns != direct {
		t.Errorf("tshark: %d/%d bytes, %d connections; curl: %d/%d bytes, %d connections", sent, recv, conns, curlW, curlR, direct)
	}
	check("client namespace", client, sent, recv, conns)
	check("server namespace", server, recv, sent, conns)
	oSent, oRecv, oConns := tsharkFlow(t, pcapVX, "tcp.port == 8080", "10.234.0.1")
	check("VXLAN, client namespace (veth and vx42, counted once)", overlayClient, oSent, oRecv, oConns)
	check("VXLAN, server namespace", overlayServer, oRecv, oSent, oConns)
	check("lo, client socket", loClient, loW, loR, 1)
	check("lo, server socket", loServer, loR, loW, 1)

	for _, pt := range sink.find("netflow", nil) {
		if tag(pt, "src_port") == "8081" || tag(pt, "dst_port") == "8081" || tag(pt, "server_port") == "8081" {
			t.Errorf("blacklisted port counted: %v", pt.Tags)
		}
	}

	httpCount := func(want map[string]string, method, path string, status int64) int64 {
		var c int64
		for _, pt := range sink.find("httpflow", want) {
			if fieldStr(pt, "method") == method && fieldStr(pt, "path") == path && fieldInt(pt, "status_code") == status {
				c += fieldInt(pt, "count")
				if fieldInt(pt, "latency") <= 0 || tag(pt, "sub_source") != "packet" {
					t.Errorf("httpflow %v %v", pt.Tags, pt.Fields)
				}
			}
		}
		return c
	}
	for _, side := range []map[string]string{client, server} {
		for _, c := range []struct {
			method, path string
			status, n    int64
		}{{"GET", "/hello.txt", 200, 2}, {"GET", "/missing", 404, 1}, {"HEAD", "/hello.txt", 200, 1}} {
			if got := httpCount(side, c.method, c.path, c.status); got != c.n {
				t.Errorf("httpflow %s %s %s %d: count %d, want %d", side["direction"], c.method, c.path, c.status, got, c.n)
			}
		}
	}
	if a, b := httpCount(loClient, "GET", "/missing", 404), httpCount(loServer, "GET", "/missing", 404); a != 1 || b != 1 {
		t.Errorf("httpflow on lo: %d outgoing, %d incoming, want 1 each", a, b)
	}
	if a, b := httpCount(overlayClient, "GET", "/hello.txt", 200), httpCount(overlayServer, "GET", "/hello.txt", 200); a != 1 || b != 1 {
		t.Errorf("httpflow over VXLAN: %d outgoing, %d incoming, want 1 each", a, b)
	}
	var total int64
	for _, pt := range sink.find("httpflow", nil) {
		total += fieldInt(pt, "count")
	}
	if total != 2*(direct+2) {
		t.Errorf("httpflow counts %d exchanges, want %d (each once per end; nothing of port 8081)", total, 2*(direct+2))
	}
}
