package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// collector runs the real binary with --output FILE --interval 1s and
// waits until its programs are attached (the first self-metrics point).
func collector(t *testing.T, extra ...string) (out string, stop func()) {
	t.Helper()
	_, out, stop = collectorProc(t, extra...)
	return out, stop
}

// collectorProc is collector with the running process.
func collectorProc(t *testing.T, extra ...string) (p *testenv.Proc, out string, stop func()) {
	t.Helper()
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "datakit-ebpf")
	out = filepath.Join(t.TempDir(), "out.lp")
	p = testenv.Start(t, bin, append([]string{"run", "--output", out, "--interval", "1s", "--ephemeral-port", "32768"}, extra...)...)
	testenv.Eventually(t, 15*time.Second, "the collector's first flush", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "datakit_ebpf,") || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("collector exited: %v\n%s", p.Wait(), p.Output())
	}
	held := testenv.HeldBPF(t, p.Pid())
	if len(held.Progs) == 0 {
		t.Fatalf("the running collector holds no BPF program")
	}
	return p, out, func() {
		p.Stop(10 * time.Second)
		if err := p.Wait(); err != nil {
			t.Fatalf("collector: %v\n%s", err, p.Output())
		}
		// Exactly what this collector loaded must be gone: other tests may
		// be running collectors with the same programs meanwhile.
		testenv.AssertBPFReleased(t, held)
	}
}

// nginx starts nginx on 127.0.0.1:port serving files of the given sizes.
func nginx(t *testing.T, sizes []int) (port int, workerPid func() int) {
	t.Helper()
	n := testenv.StartNginx(t, "")
	for _, size := range sizes {
		n.WriteFile(t, fmt.Sprintf("f%d", size), size)
	}
	return n.Port, func() int { return n.WorkerPid(t) }
}

// TestNetflowTCP drives known requests from one curl to nginx, each on
// its own connection, and checks both ends' points against what curl
// counted on the wire (payload bytes: request, response headers, body).
func TestNetflowTCP(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	sizes := []int{1000, 20000, 300000}
	port, worker := nginx(t, sizes)
	out, stop := collector(t)

	args := []string{"-s", "-H", "Connection: close", "-w", "%{size_request} %{size_header} %{size_download}\n"}
	for _, n := range sizes {
		args = append(args, "-o", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/f%d", port, n))
	}
	cmd := exec.Command("curl", args...)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	var sent, recv int64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var req, hdr, body int64
		fmt.Sscan(line, &req, &hdr, &body)
		sent, recv = sent+req, recv+hdr+body
	}
	curlPid, nginxPid := strconv.Itoa(cmd.Process.Pid), strconv.Itoa(worker())
	time.Sleep(2500 * time.Millisecond) // two flushes
	stop()
	pts := readPoints(t, out)

	sp := strconv.Itoa(port)
	client := map[string]string{"pid": curlPid, "process_name": "curl", "direction": "outgoing",
		"transport": "tcp", "dst_port": sp, "server_port": sp, "src_port": "*", "family": "IPv4",
		"src_ip_type": "private", "client_ip": "127.0.0.1"}
	server := map[string]string{"pid": nginxPid, "process_name": "nginx", "direction": "incoming",
		"transport": "tcp", "src_port": sp, "server_port": sp, "dst_port": "*", "client_port": "*"}
	n := int64(len(sizes))
	for _, c := range []struct {
		side            string
		tags            map[string]string
		written, readen int64
	}{{"client", client, sent, recv}, {"server", server, recv, sent}} {
		w, np := sum(pts, "netflow", "bytes_written", c.tags)
		if np == 0 {
			t.Fatalf("%s: no netflow point with tags %v", c.side, c.tags)
		}
		r, _ := sum(pts, "netflow", "bytes_read", c.tags)
		est, _ := sum(pts, "netflow", "tcp_established", c.tags)
		closed, _ := sum(pts, "netflow", "tcp_closed", c.tags)
		rtt, _ := sum(pts, "netflow", "rtt", c.tags)
		if w != c.written || r != c.readen {
			t.Errorf("%s: written %d read %d, want %d and %d (curl's counts)", c.side, w, r, c.written, c.readen)
		}
		if est != n || closed != n {
			t.Errorf("%s: established %d closed %d, want %d each", c.side, est, closed, n)
		}
		if rtt <= 0 {
			t.Errorf("%s: rtt %d, want > 0", c.side, rtt)
		}
	}
	if _, n := sum(pts, "datakit_ebpf", "events", map[string]string{"plugin": "ebpf-net"}); n == 0 {
		t.Error("no self-metrics point")
	}
	if drops, _ := sum(pts, "datakit_ebpf", "kernel_drops", nil); drops != 0 {
		t.Errorf("kernel drops: %d", drops)
	}
}

// serverUDPPort returns a free UDP port below the ephemeral range, where
// a bound unconnected socket counts as a server (flowtags.Listeners).
func serverUDPPort(t *testing.T) int {
	for port := 20000 + os.Getpid()%5000; port < 32000; port++ {
		c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
	}
	t.Fatal("no free UDP port below 32000")
	return 0
}
