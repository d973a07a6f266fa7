package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSupervisorLinksNoCollectorCode holds the layout rule: the supervisor
// and the collector share only neutral packages (filter/, dissect/, ...),
// so nothing under externals/ is linked into datakit, and no package of
// the supervisor's is linked into datakit-ebpf.
func TestSupervisorLinksNoCollectorCode(t *testing.T) {
	for _, c := range []struct{ binary, forbidden string }{
		{"netobs.local/agent/datakit", "netobs.local/agent/externals/"},
		{"netobs.local/agent/externals/ebpf", "netobs.local/agent/datakit"},
	} {
		out, err := exec.Command("go", "list", "-deps", c.binary).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", c.binary, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasPrefix(pkg, c.forbidden) {
				t.Errorf("%s links %s", c.binary, pkg)
			}
		}
	}
}
