package netflow

import (
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/tests/testenv"
)

// Loaded without the plan, the object's fexit and iterator programs reach
// a kernel that refuses trampolines: the load error names the refusal the
// probes found, not cilium/ebpf's "MEMLOCK may be too low".
func TestLoadErrorNamesTheRefusal(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := loader.Prepare(); err != nil {
		t.Fatal(err)
	}
	if features.Fentry().On {
		t.Skip("skipped: this kernel loads trampolines, so nothing is refused")
	}
	spec, err := loadNetflow()
	if err != nil {
		t.Fatal(err)
	}
	var objs netflowObjects
	err = loadObjects(spec, &objs)
	if err == nil {
		objs.Close()
		t.Fatal("the fexit and iterator programs loaded although the probes say they are refused")
	}
	if msg := err.Error(); strings.Contains(msg, "MEMLOCK may be too low") || !strings.Contains(msg, "probe: the kernel refuses") {
		t.Errorf("load error: %v", err)
	}
}
