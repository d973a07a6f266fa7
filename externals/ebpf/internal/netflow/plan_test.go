package netflow

import (
	"testing"

	"github.com/cilium/ebpf"

	"netobs.local/agent/externals/ebpf/features"
)

// Every way's programs are found by name, in the object (for stubbing) and
// in the loaded objects (for attaching); every program of the object
// belongs to exactly one way, so none escapes stubbing on a kernel without
// its hook, and every way's kind matches its program's type.
func TestEveryWayHasItsPrograms(t *testing.T) {
	spec, err := loadNetflow()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]ebpf.ProgramType{"tracepoint": ebpf.TracePoint, "tp_btf": ebpf.Tracing, "fexit": ebpf.Tracing,
		"cgroup": ebpf.CGroupSockAddr, "iter": ebpf.Tracing}
	seen := map[string]bool{}
	var objs netflowObjects
	for _, h := range Hooks() {
		for _, w := range h.ways {
			for _, p := range w.points {
				if w.kind == features.KindSockDiag {
					if p.prog != "" {
						t.Errorf("hook %s, %s: socket diagnostics run no program, not %s", h.Event, w, p.prog)
					}
					continue
				}
				ps, ok := spec.Programs[p.prog]
				if !ok {
					t.Errorf("hook %s, %s: no program %s in the object", h.Event, w, p.prog)
					continue
				}
				if ps.Type != kinds[string(w.kind)] {
					t.Errorf("hook %s, %s: program %s is %s", h.Event, w, p.prog, ps.Type)
				}
				if seen[p.prog] {
					t.Errorf("program %s serves two ways", p.prog)
				}
				seen[p.prog] = true
				if _, ok := objs.program(p.prog); !ok {
					t.Errorf("program %s: not a field of netflowPrograms", p.prog)
				}
			}
		}
	}
	for name := range spec.Programs {
		if !seen[name] {
			t.Errorf("program %s is in no hook's ways", name)
		}
	}
}
