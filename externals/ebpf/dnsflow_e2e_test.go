package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// dnsmasq answers known.test and web.test, says NXDOMAIN for missing.test
// and forwards blackhole.test to a UDP socket that never answers.
func dnsmasq(t *testing.T) (port int, pid string) {
	t.Helper()
	testenv.RequireBinaries(t, "dnsmasq")
	black, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { black.Close() })
	port = testenv.FreePort(t) // a free TCP port; dnsmasq fails loudly if UDP is taken
	p := testenv.Start(t, "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--user=root",
		"--listen-address=127.0.0.1", "--bind-interfaces", fmt.Sprintf("--port=%d", port),
		"--address=/known.test/127.0.0.1", "--address=/web.test/127.0.0.7", "--address=/missing.test/",
		fmt.Sprintf("--server=/blackhole.test/127.0.0.1#%d", black.LocalAddr().(*net.UDPAddr).Port))
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second) // its TCP listener
	return port, strconv.Itoa(p.Pid())
}

// dig runs one dig process with the given queries and returns its pid and
// the status of each answer ("" when it timed out).
func dig(t *testing.T, port int, args ...string) (pid string, statuses []string) {
	t.Helper()
	cmd := exec.Command("dig", append([]string{"@127.0.0.1", "-p", strconv.Itoa(port), "+tries=1", "+timeout=1"}, args...)...)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid = strconv.Itoa(cmd.Process.Pid)
	cmd.Wait() // dig exits 9 when a query timed out
	for _, l := range strings.Split(out.String(), "\n") {
		if _, rest, ok := strings.Cut(l, "status: "); ok {
			statuses = append(statuses, strings.TrimSuffix(strings.Fields(rest)[0], ","))
		}
	}
	return pid, statuses
}

// TestDNSFlowDig: dig against dnsmasq gives rcode 0, 3 and -1 (no answer)
// with exact counts and dig's pid, over UDP and TCP, on dig's side and on
// dnsmasq's (an unconnected UDP server socket); a connection to an address
// resolved that way carries the name as dst_domain.
func TestDNSFlowDig(t *testing.T) {
	testenv.RequireBinaries(t, "dig", "curl")
	out, stop := collector(t)
	port, server := dnsmasq(t)

	udpPid, st := dig(t, port, "known.test", "known.test", "known.test", "missing.test", "missing.test")
	if strings.Join(st, " ") != "NOERROR NOERROR NOERROR NXDOMAIN NXDOMAIN" {
		t.Fatalf("dig statuses %q", st)
	}
	blackPid, st := dig(t, port, "blackhole.test")
	if len(st) != 0 {
		t.Fatalf("blackhole.test answered: %q", st)
	}
	tcpPid, st := dig(t, port, "+tcp", "known.test")
	if len(st) != 1 || st[0] != "NOERROR" {
		t.Fatalf("dig +tcp statuses %q", st)
	}
	webPid, _ := dig(t, port, "web.test")
	web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	l, err := net.Listen("tcp", "127.0.0.7:0")
	if err != nil {
		t.Fatal(err)
	}
	web.Listener = l
	web.Start()
	defer web.Close()
	time.Sleep(200 * time.Millisecond) // let the collector read the answer first, as any resolve-then-connect does
	testenv.Run(t, "curl", "-s", "-o", "/dev/null", web.URL+"/")

	type want struct {
		name, transport, dir, pid string
		rcode, count              int64
	}
	wants := []want{
		{"known.test", "udp", "outgoing", udpPid, 0, 3},
		{"missing.test", "udp", "outgoing", udpPid, 3, 2},
		{"blackhole.test", "udp", "outgoing", blackPid, -1, 1},
		{"known.test", "tcp", "outgoing", tcpPid, 0, 1},
		{"web.test", "udp", "outgoing", webPid, 0, 1},
		{"known.test", "udp", "incoming", server, 0, 3},
		{"missing.test", "udp", "incoming", server, 3, 2},
		{"known.test", "tcp", "incoming", server, 0, 1},
	}
	count := func(pts []point, w want) (n int64) {
		for _, p := range pts {
			if p.name == "dnsflow" && p.tags["dst_domain"] == w.name && p.tags["transport"] == w.transport &&
				p.tags["direction"] == w.dir && p.tags["pid"] == w.pid && p.fields["rcode"] == w.rcode {
				n += p.fields["count"]
			}
		}
		return n
	}
	domain := func(pts []point) bool {
		n, _ := sum(pts, "netflow", "tcp_closed", map[string]string{"dst_ip": "127.0.0.7", "dst_domain": "web.test",
			"server_domain": "web.test", "direction": "outgoing"})
		return n == 1
	}
	complete := func() bool {
		pts := readPoints(t, out)
		for _, w := range wants {
			if count(pts, w) < w.count {
				return false
			}
		}
		return domain(pts)
	}
	for deadline := time.Now().Add(25 * time.Second); !complete() && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond) // a miss is reported below, with what was seen
	}
	stop()
	pts := readPoints(t, out)
	for _, w := range wants {
		if n := count(pts, w); n != w.count {
			t.Errorf("%+v: count %d", w, n)
		}
	}
	if t.Failed() {
		for _, p := range pts {
			if p.name == "netflow" && p.tags["dst_ip"] == "127.0.0.7" {
				t.Logf("netflow: %v %v", p.tags, p.fields)
			}
			if p.name == "dnsflow" {
				t.Logf("seen: %s %s %s pid=%s rcode=%d count=%d", p.tags["dst_domain"], p.tags["transport"],
					p.tags["direction"], p.tags["pid"], p.fields["rcode"], p.fields["count"])
			}
		}
	}
	for _, p := range pts {
		if p.name != "dnsflow" {
			continue
		}
		if p.tags["pid"] == udpPid && p.tags["process_name"] != "dig" {
			t.Errorf("dig's pid %s has process_name %q", udpPid, p.tags["process_name"])
		}
		lat, lmax := p.fields["latency"], p.fields["latency_max"]
		if lat <= 0 || lmax < lat {
			t.Errorf("%s %s: latency %d latency_max %d", p.tags["dst_domain"], p.tags["direction"], lat, lmax)
		}
		if p.fields["rcode"] == -1 && lat < int64(time.Second) {
			t.Errorf("%s timed out after %d ns, sooner than the timeout", p.tags["dst_domain"], lat)
		}
	}
	if !domain(pts) {
		t.Error("no netflow to 127.0.0.7 with dst_domain=web.test")
	}
	if n, _ := sum(pts, "httpflow", "count", map[string]string{"dst_domain": "web.test", "direction": "outgoing"}); n != 1 {
		t.Errorf("httpflow to web.test: count %d, want 1", n)
	}
}
