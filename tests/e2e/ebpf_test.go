package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// TestEbpfInputThroughSupervisor runs datakit with the ebpf input as a user
// would, drives real TCP and UDP traffic, and checks the netflow and
// httpflow points that reach the supervisor; then it SIGKILLs the collector, expects the
// supervisor to restart it, and checks that nothing BPF is left once
// datakit stops.
// httpflowSupervisor runs the supervisor with the ebpf input: ebpf-net
// with httpflow, flushing every second.
func httpflowSupervisor(t *testing.T) *Supervisor {
	t.Helper()
	return StartSupervisor(t, "", map[string]string{"ebpf.conf": fmt.Sprintf(`
[[inputs.ebpf]]
  cmd = %q
  enabled_plugins = ["ebpf-net"]
  l7net_enabled = ["httpflow"]
  interval = "1s"
`, testenv.Binary(t, "datakit-ebpf"))})
}

func TestEbpfInputThroughSupervisor(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "curl", "nginx", "python3")
	ng := testenv.StartNginx(t, "")
	ng.WriteFile(t, "small", 1000)
	ng.WriteFile(t, "large", 200_000)
	s := httpflowSupervisor(t)
	first, held := waitCollector(t, s, 0)

	// TCP: one curl, three connections (Connection: close), byte counts
	// as curl saw them on the wire.
	curl := exec.Command("curl", "-s", "-H", "Connection: close", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
		"-w", "%{size_request} %{size_header} %{size_download}\n", ng.URL("/small"), ng.URL("/large"), ng.URL("/small"))
	out, err := curl.Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	var sent, recv int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var req, hdr, body int
		fmt.Sscan(line, &req, &hdr, &body)
		sent, recv = sent+req, recv+hdr+body
	}
	client := strconv.Itoa(curl.Process.Pid)
	worker := strconv.Itoa(ng.WorkerPid(t))

	// UDP: a python client sends three 100-byte datagrams to a python
	// server that answers each with 50 bytes.
	udpPort := testenv.FreePort(t)
	testenv.Start(t, "python3", "-c", fmt.Sprintf(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", %d))
while True:
    d, a = s.recvfrom(2048); s.sendto(b"y" * 50, a)`, udpPort))
	time.Sleep(300 * time.Millisecond)
	udp := exec.Command("python3", "-c", fmt.Sprintf(`
import socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)
for i in range(3):
    c.sendto(b"x" * 100, ("127.0.0.1", %d)); c.recvfrom(2048)`, udpPort))
	if b, err := udp.CombinedOutput(); err != nil {
		t.Fatalf("udp client: %v %s", err, b)
	}
	udpClient := strconv.Itoa(udp.Process.Pid)

	// The UDP client's reply is read from an unconnected socket: by default
	// only the cgroup recvmsg hooks name its sender (the recv exits attach
	// on demand), so that check needs them.
	recvPeers := []features.Hook{{Kind: features.KindCgroupSockAddr, Target: "recvmsg4"}}
	want := []struct {
		what        string
		tags        map[string]string
		written     float64
		read        float64
		connections float64
		needs       []features.Hook
	}{
		{"curl (client)", map[string]string{"pid": client, "process_name": "curl", "direction": "outgoing", "transport": "tcp"}, float64(sent), float64(recv), 3, nil},
		{"nginx (server)", map[string]string{"pid": worker, "process_name": "nginx", "direction": "incoming", "transport": "tcp",
			"src_port": strconv.Itoa(ng.Port)}, float64(recv), float64(sent), 3, nil},
		{"python (udp client)", map[string]string{"pid": udpClient, "process_name": "python3", "transport": "udp",
			"dst_port": strconv.Itoa(udpPort)}, 300, 150, 0, recvPeers},
	}
	for _, w := range want {
		t.Run("netflow of "+w.what, func(t *testing.T) {
			testenv.RequireHook(t, w.needs...)
			var got map[string]float64
			testenv.Eventually(t, 20*time.Second, "netflow of "+w.what+" in /v1/query", func() bool {
				got = sumNetwork(t, s, "netflow", w.tags)
				return got["bytes_written"] >= w.written && got["bytes_read"] >= w.read && got["tcp_closed"] >= w.connections
			})
			if got["bytes_written"] != w.written || got["bytes_read"] != w.read {
				t.Errorf("%s: written %v read %v, want %v and %v", w.what, got["bytes_written"], got["bytes_read"], w.written, w.read)
			}
			if got["tcp_established"] != w.connections || got["tcp_closed"] != w.connections {
				t.Errorf("%s: established %v closed %v, want %v", w.what, got["tcp_established"], got["tcp_closed"], w.connections)
			}
			if w.connections > 0 && got["rtt"] <= 0 {
				t.Errorf("%s: rtt %v, want > 0", w.what, got["rtt"])
			}
		})
	}

	// httpflow, as l7net_enabled asks: curl's three requests, both sides.
	for _, dir := range []string{"outgoing", "incoming"} {
		tags := map[string]string{"direction": dir, "server_port": strconv.Itoa(ng.Port)}
		var got map[string]float64
		testenv.Eventually(t, 20*time.Second, dir+" httpflow in /v1/query", func() bool {
			got = sumNetwork(t, s, "httpflow", tags)
			return got["count"] >= 3
		})
		if got["count"] != 3 {
			t.Errorf("%s httpflow: count %v, want 3", dir, got["count"])
		}
	}

	// The supervisor restarts a collector that dies, and counts it.
	syscall.Kill(first, syscall.SIGKILL)
	second, heldAgain := waitCollector(t, s, first)
	testenv.AssertBPFReleased(t, held)
	_, metrics := s.Get("/metrics")
	if !strings.Contains(metrics, `datakit_child_restarts_total{input="ebpf"} 1`) {
		t.Errorf("/metrics does not count the restart:\n%s", grepLines(metrics, "restarts"))
	}

	// Stopping datakit stops the collector and unloads everything.
	s.Proc.Stop(20 * time.Second)
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", second)); err == nil {
		t.Errorf("collector %d still runs after datakit stopped", second)
	}
	testenv.AssertBPFReleased(t, heldAgain)
}

// waitCollector waits for datakit's datakit-ebpf child (other than not) to
// have attached ebpf-net, as its forwarded log says, and returns its pid and
// the BPF objects it holds.
func waitCollector(t *testing.T, s *Supervisor, not int) (int, testenv.BPFObjects) {
	t.Helper()
	var pid int
	testenv.Eventually(t, 30*time.Second, "the collector to attach ebpf-net", func() bool {
		for _, c := range testenv.Children(t, s.Proc.Pid()) {
			exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", c))
			if c == not || filepath.Base(exe) != "datakit-ebpf" {
				continue
			}
			for _, line := range strings.Split(s.Proc.Output(), "\n") {
				if strings.Contains(line, "plugin started") && strings.Contains(line, "plugin=ebpf-net") &&
					strings.Contains(line+" ", fmt.Sprintf(" pid=%d ", c)) {
					pid = c
					return true
				}
			}
		}
		return false
	})
	held := testenv.HeldBPF(t, pid)
	if len(held.Progs) == 0 {
		t.Fatalf("the collector %d holds no BPF program after attaching", pid)
	}
	return pid, held
}

// sumNetwork adds up the fields of the measurement's points in /v1/query
// whose tags include tags.
func sumNetwork(t *testing.T, s *Supervisor, measurement string, tags map[string]string) map[string]float64 {
	q := url.Values{"category": {"network"}, "measurement": {measurement}, "since": {"5m"}}
	for k, v := range tags {
		q.Add("tag", k+":"+v)
	}
	status, body := s.Get("/v1/query?" + q.Encode())
	if status != 200 {
		t.Fatalf("/v1/query: %d %s", status, body)
	}
	sum := map[string]float64{}
	for _, p := range testenv.DecodeLP(t, []byte(body)) {
		for k := range p.Fields {
			sum[k] += p.Number(k)
		}
	}
	return sum
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
