package e2e

import (
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestAgentDoesNotObserveItself runs datakit with every flow measurement
// of ebpf-net on, while the collector posts its points to the
// supervisor's API every second: no netflow, httpflow or dnsflow point
// may name either process (their API traffic is left out, the payload in
// the kernel), while a curl to nginx in the same run is reported.
func TestAgentDoesNotObserveItself(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "curl", "nginx")
	ng := testenv.StartNginx(t, "")
	ng.WriteFile(t, "small", 1000)
	s := StartSupervisor(t, "", map[string]string{"ebpf.conf": fmt.Sprintf(`
[[inputs.ebpf]]
  cmd = %q
  enabled_plugins = ["ebpf-net"]
  l7net_enabled = ["httpflow"]
  interval = "1s"
`, testenv.Binary(t, "datakit-ebpf"))})
	collector, _ := waitCollector(t, s, 0)
	curl := exec.Command("curl", "-s", "-o", "/dev/null", ng.URL("/small"))
	if err := curl.Run(); err != nil {
		t.Fatalf("curl: %v", err)
	}
	testenv.Eventually(t, 20*time.Second, "curl's httpflow in /v1/query", func() bool {
		return sumNetwork(t, s, "httpflow", map[string]string{"pid": strconv.Itoa(curl.Process.Pid)})["count"] >= 1
	})
	time.Sleep(3 * time.Second) // three more flushes, each posted

	own := map[string]string{strconv.Itoa(s.Proc.Pid()): "the supervisor", strconv.Itoa(collector): "the collector"}
	for _, m := range []string{"netflow", "httpflow", "dnsflow"} {
		q := url.Values{"category": {"network"}, "measurement": {m}, "since": {"5m"}}
		status, body := s.Get("/v1/query?" + q.Encode())
		if status != 200 {
			t.Fatalf("/v1/query: %d %s", status, body)
		}
		n := 0
		for _, p := range testenv.DecodeLP(t, []byte(body)) {
			if who, ok := own[p.Tags["pid"]]; ok {
				n++
				if n <= 3 {
					t.Errorf("%s point of %s: %v", m, who, p.Tags)
				}
			}
		}
		if n > 0 {
			t.Errorf("%d %s points name the agent's own processes", n, m)
		}
	}
}
