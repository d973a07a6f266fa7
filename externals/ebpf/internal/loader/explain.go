package loader

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/features"
)

// memlockHint is what cilium/ebpf appends to an EPERM at load whenever the
// verifier log is empty, whatever the cause. Here the cause is rarely the
// rlimit: Prepare removes it, and kernels since 5.11 charge BPF memory to
// the memory cgroup. A kernel that refuses trampolines (fentry, fexit,
// iterators) answers EPERM the same way.
const memlockHint = " (MEMLOCK may be too low, consider rlimit.RemoveMemlock)"

// explained is a load error whose misleading hint was replaced; it still
// unwraps to the original (errors.Is(err, unix.EPERM) holds).
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// memlockNote says why the rlimit cannot be the cause once Prepare ran.
const memlockNote = "Prepare removed it, or this kernel charges BPF memory to the memory cgroup instead"

// LoadError explains err, returned by loading spec: when cilium/ebpf blamed
// RLIMIT_MEMLOCK after Prepare removed it, the hint is replaced by what
// the probes find for the program that failed (not root, or the kernel
// refusing that kind of program). Other errors are returned as they are.
func LoadError(spec *ebpf.CollectionSpec, err error) error {
	if err == nil || !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), memlockHint) {
		return err
	}
	if !memlockRemoved.Load() {
		return err // the rlimit may really be the cause
	}
	why := "not RLIMIT_MEMLOCK (" + memlockNote + ")"
	if st := features.Root(); !st.On {
		why = st.Reason + "; " + why
	} else if ps := failedProgram(spec, err); ps != nil {
		why = refusal(ps) + "; " + why
	}
	return &explained{msg: strings.Replace(err.Error(), memlockHint, ": "+why, 1), err: err}
}

// failedProgram finds the program named in cilium/ebpf's "program NAME: "
// prefix.
func failedProgram(spec *ebpf.CollectionSpec, err error) *ebpf.ProgramSpec {
	if spec == nil {
		return nil
	}
	msg := err.Error()
	for name, ps := range spec.Programs {
		if strings.Contains(msg, "program "+name+": ") {
			return ps
		}
	}
	return nil
}

// refusal says what the probe of the program's kind finds: off with its
// reason, or on, in which case the kernel refuses this target only.
func refusal(ps *ebpf.ProgramSpec) string {
	kind, ok := map[ebpf.AttachType]features.HookKind{
		ebpf.AttachTraceFEntry: features.KindFentry,
		ebpf.AttachTraceFExit:  features.KindFexit,
		ebpf.AttachTraceRawTp:  features.KindTPBTF,
		ebpf.AttachTraceIter:   features.KindIter,
	}[ps.AttachType]
	if ps.Type != ebpf.Tracing || !ok {
		return fmt.Sprintf("the kernel refuses this %s program", ps.Type)
	}
	st := features.Hook{Kind: kind, Target: ps.AttachTo}.Probe()
	if !st.On {
		return "probe: " + st.Reason
	}
	return fmt.Sprintf("the kernel refuses %s on %s, although the probe of that kind loads (lockdown, or a target trampolines cannot attach to)", kind, ps.AttachTo)
}
