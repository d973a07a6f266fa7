package guest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	ebpffeatures "github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// collectorDefaults are the `const volatile` settings the collector loads
// its objects with by default (httpflow on: payload capture on every TCP
// socket), so the verifier sees the code paths users run.
var collectorDefaults = map[string]any{"l7_enabled": true, "l7_tcp_all": true}

// collectorProbed are the settings the collector derives from the kernel.
func collectorProbed() map[string]any {
	return map[string]any{
		"have_task_pt_regs": ebpffeatures.HaveProgramHelper(ebpf.TracePoint, asm.FnTaskPtRegs) == nil,
	}
}

// bpfObjects are the collector's committed BPF objects: from the working
// tree on the host, from /bin in a guest (test-kernels.sh copies them).
func bpfObjects(t *testing.T) []string {
	t.Helper()
	pattern := filepath.Join(testenv.RepoRoot(t), "externals", "ebpf", "internal", "*", "*_bpfel.o")
	if os.Getenv("KERNEL_GUEST") != "" {
		pattern = "/bin/*_bpfel.o"
	}
	objs, _ := filepath.Glob(pattern)
	if len(objs) == 0 {
		t.Fatalf("no BPF objects match %s", pattern)
	}
	return objs
}

// dependsOn are programs the collector loads only together with another
// hook (any of the listed): the recv exits finish what a receive hook
// starts, so without one the collector does not load them (netflow's plan).
var dependsOn = map[string][]features.Hook{
	"on_sys_exit_recvfrom": recvHooks,
	"on_sys_exit_recvmsg":  recvHooks,
	"on_sys_exit_recvmmsg": recvHooks,
}

// recvHooks are netflow's ways of observing receives (netflow.Hooks).
var recvHooks = []features.Hook{
	{Kind: features.KindTPBTF, Target: "sock_recv_length"},
	{Kind: features.KindTracepoint, Target: "sock/sock_recv_length"},
	{Kind: features.KindFexit, Target: "inet_recvmsg"},
}

// shouldLoad asks the collector's own probes (package features, as
// `datakit-ebpf features` does) whether prog, from ELF section, loads on
// this kernel: its hook, and one of the hooks it depends on. ok false
// comes with the probe's reason.
func shouldLoad(prog, section string) (why string, ok bool) {
	hook, known := features.HookForSection(section)
	if !known {
		return "", true // TestProgramsLoad fails: a program type no probe covers
	}
	if st := hook.Probe(); !st.On {
		return fmt.Sprintf("probe of %s: %s", hook, st.Reason), false
	}
	if deps, ok := dependsOn[prog]; ok {
		ch := features.Choose("what it depends on", deps...)
		if _, ok := ch.Chosen(); !ok {
			return "it finishes receives, and " + ch.String(), false
		}
	}
	return "", true
}

// TestProgramsLoad loads every program of every collector object alone,
// with the collector's default settings, and names the verifier's verdict
// per program. A program whose hook the collector's probe says loads here
// must load; one whose hook the probe says is absent or refused is
// skipped with the probe's reason (the collector does not load it there,
// or falls back). A program type no probe covers fails: the next one the
// collector uses gets a probe, so its refusal skips instead of failing.
func TestProgramsLoad(t *testing.T) {
	testenv.RequireRoot(t)
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatal(err)
	}
	for _, obj := range bpfObjects(t) {
		spec, err := ebpf.LoadCollectionSpec(obj)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		settings := collectorProbed()
		maps.Copy(settings, collectorDefaults)
		for name, v := range settings {
			if vs, ok := spec.Variables[name]; ok {
				if err := vs.Set(v); err != nil {
					t.Fatalf("%s: setting %s: %v", obj, name, err)
				}
			}
		}
		names := make([]string, 0, len(spec.Programs))
		for n := range spec.Programs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, prog := range names {
			section := spec.Programs[prog].SectionName
			t.Run(strings.TrimSuffix(filepath.Base(obj), "_x86_bpfel.o")+"/"+prog, func(t *testing.T) {
				if _, ok := features.HookForSection(section); !ok {
					t.Fatalf("%s: no probe covers section %q: map it to a hook in features.HookForSection", prog, section)
				}
				if why, ok := shouldLoad(prog, section); !ok {
					t.Skipf("kernel %s: %s (%s) is not loaded here: %s", kernelName(), prog, section, why)
				}
				if err := loadAlone(spec, prog); err != nil {
					t.Errorf("kernel %s: %s (%s) does not load, though the probe says its hook does: %v", kernelName(), prog, section, err)
				}
			})
		}
	}
}

// loadAlone loads prog with only the maps it uses and returns the
// verifier's verdict (its last meaningful line) on failure.
func loadAlone(spec *ebpf.CollectionSpec, prog string) error {
	s := spec.Copy()
	for other := range s.Programs {
		if other != prog {
			delete(s.Programs, other)
		}
	}
	coll, err := ebpf.NewCollection(s)
	if err == nil {
		coll.Close()
		return nil
	}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		if os.Getenv("VERIFIER_LOG") != "" { // the whole log, for tests/.cache/kernels/results
			fmt.Fprintf(os.Stderr, "verifier log of %s:\n%+v\n", prog, ve)
		}
		for i := len(ve.Log) - 1; i >= 0; i-- {
			line := ve.Log[i]
			if !strings.HasPrefix(line, "processed ") && !strings.HasPrefix(line, "verification time") && !strings.HasPrefix(line, "stack depth") {
				return errors.New("verifier: " + line)
			}
		}
	}
	return err
}

// TestProgramsLoadRefused runs TestProgramsLoad with iterators and tp_btf
// forced refused (features.RefuseEnv), as on hosts whose kernel answers
// EPERM: each such program must be skipped with the probe's reason, and
// the rest must still pass, on a kernel that would load them all.
func TestProgramsLoadRefused(t *testing.T) {
	testenv.RequireRoot(t)
	if os.Getenv(features.RefuseEnv) != "" {
		t.Skipf("skipped: %s is set already; this test sets it itself", features.RefuseEnv)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestProgramsLoad$", "-test.v", "-test.count", "1")
	cmd.Env = append(os.Environ(), features.RefuseEnv+"=iter,tp_btf")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("TestProgramsLoad with %s=iter,tp_btf: %v\n%s", features.RefuseEnv, err, out)
	}
	forced := 0
	for _, obj := range bpfObjects(t) {
		spec, err := ebpf.LoadCollectionSpec(obj)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		for prog, ps := range spec.Programs {
			h, _ := features.HookForSection(ps.SectionName)
			if h.Kind != features.KindIter && h.Kind != features.KindTPBTF {
				continue
			}
			forced++
			name := "TestProgramsLoad/" + strings.TrimSuffix(filepath.Base(obj), "_x86_bpfel.o") + "/" + prog
			reason := fmt.Sprintf("%s (%s) is not loaded here: probe of %s: %s hooks refused by %s", prog, ps.SectionName, h, h.Kind, features.RefuseEnv)
			if !strings.Contains(string(out), "--- SKIP: "+name+" ") || !strings.Contains(string(out), reason) {
				t.Errorf("%s: not skipped with %q:\n%s", name, reason, out)
			}
		}
	}
	if forced == 0 {
		t.Fatal("no iter or tp_btf program in the collector's objects: nothing was forced")
	}
}
