package guest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	ebpffeatures "github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"

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
var dependsOn = map[string][]string{
	"on_sys_exit_recvfrom": recvHooks,
	"on_sys_exit_recvmsg":  recvHooks,
	"on_sys_exit_recvmmsg": recvHooks,
}

var recvHooks = []string{"tracepoint/sock/sock_recv_length", "fexit/inet_recvmsg"}

// hookPresent reports whether the kernel has the program's attach point,
// from its ELF section ("tracepoint/group/event", "raw_tracepoint/name",
// "uretprobe/sym": uprobes attach to user binaries, present everywhere),
// and one of the hooks it depends on, if any.
func hookPresent(prog, section string) bool {
	if deps, ok := dependsOn[prog]; ok && !slices.ContainsFunc(deps, func(d string) bool { return hookPresent("", d) }) {
		return false
	}
	kind, target, _ := strings.Cut(section, "/")
	switch kind {
	case "tracepoint", "tp":
		_, err := os.Stat(filepath.Join("/sys/kernel/tracing/events", target, "format"))
		return err == nil
	case "tp_btf":
		// A BTF raw tracepoint exists where a tracepoint of that name does.
		m, _ := filepath.Glob(filepath.Join("/sys/kernel/tracing/events", "*", target, "format"))
		return len(m) > 0
	case "raw_tracepoint", "raw_tp":
		return true // every raw tracepoint we use is older than our oldest kernel
	case "fentry", "fexit":
		return trampolineOn(kind, target)
	}
	return true
}

// trampolineOn reports whether a fentry/fexit program can attach to the
// kernel function target: this project's hosts refuse them (EPERM).
func trampolineOn(kind, target string) bool {
	at := map[string]ebpf.AttachType{"fentry": ebpf.AttachTraceFEntry, "fexit": ebpf.AttachTraceFExit}[kind]
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.Tracing, AttachType: at, AttachTo: target, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}})
	if err != nil {
		return false
	}
	p.Close()
	return true
}

// TestProgramsLoad loads every program of every collector object alone,
// with the collector's default settings, and names the verifier's verdict
// per program. A program whose hook exists on this kernel must load; one
// whose hook is absent is reported and skipped (the collector must not
// load it there, or must have a fallback).
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
				err := loadAlone(spec, prog)
				switch {
				case err == nil:
				case !hookPresent(prog, section):
					t.Skipf("kernel %s: %s (%s) has no usable hook here and does not load either: %v", kernelName(), prog, section, err)
				default:
					t.Errorf("kernel %s: %s (%s) does not load: %v", kernelName(), prog, section, err)
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
