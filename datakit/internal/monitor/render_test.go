package monitor

import (
	"strings"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/api"
	"netobs.local/agent/datakit/internal/view"
)

func TestRenderRates(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	agent := func(points int64) api.AgentInfo {
		return api.AgentInfo{Host: "h", Inputs: []api.InputInfo{{Input: api.Input{Name: "ebpf", Source: "conf.d/ebpf.conf:1"}, Restarts: 2}},
			Sources:    map[string]int64{"ebpf-net/netflow": points},
			Categories: map[string]int64{"network": points},
			Outputs:    []api.OutputInfo{{Name: "local", QueueBytes: 4096, QueueBatches: 3}}}
	}
	prev := &Snapshot{At: t0, Agent: agent(100)}
	cur := &Snapshot{At: t0.Add(2 * time.Second), Agent: agent(150),
		Health: view.Health{Plugins: []view.Plugin{{Plugin: "ebpf-net", Counters: map[string]int64{"events": 9, "kernel_drops": 4}}}}}
	out := Render("127.0.0.1:9529", prev, cur, nil)
	for _, want := range []string{"ebpf", "conf.d/ebpf.conf:1", "ebpf-net/netflow", "150", "25.0", "local", "4096", "ebpf-net", "none"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if first := Render("a", nil, cur, nil); !strings.Contains(first, "0.0") {
		t.Errorf("the first reading has no rate to show:\n%s", first)
	}
}
