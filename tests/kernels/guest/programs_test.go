package guest

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"

	"netobs.local/agent/tests/testenv"
)

// collectorDefaults are the `const volatile` settings the collector loads
// its objects with by default (httpflow on: payload capture on every TCP
// socket), so the verifier sees the code paths users run.
var collectorDefaults = map[string]any{"l7_enabled": true, "l7_tcp_all": true}

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
// hook: the recv exits finish what sock_recv_length starts, so without it
// the collector does not load them (netflow's stubUnattachable).
var dependsOn = map[string]string{
	"on_sys_exit_recvfrom": "tracepoint/sock/sock_recv_length",
	"on_sys_exit_recvmsg":  "tracepoint/sock/sock_recv_length",
	"on_sys_exit_recvmmsg": "tracepoint/sock/sock_recv_length",
}

// hookPresent reports whether the kernel has the program's attach point,
// from its ELF section ("tracepoint/group/event", "raw_tracepoint/name",
// "uretprobe/sym": uprobes attach to user binaries, present everywhere),
// and the hook it depends on, if any.
func hookPresent(prog, section string) bool {
	if dep, ok := dependsOn[prog]; ok && !hookPresent("", dep) {
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
	}
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
		for name, v := range collectorDefaults {
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
		for i := len(ve.Log) - 1; i >= 0; i-- {
			line := ve.Log[i]
			if !strings.HasPrefix(line, "processed ") && !strings.HasPrefix(line, "verification time") && !strings.HasPrefix(line, "stack depth") {
				return errors.New("verifier: " + line)
			}
		}
	}
	return err
}
