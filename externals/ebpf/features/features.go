// Package features probes what this kernel offers the collector: tracepoints,
// BTF types, program and map types, attach kinds. Each probe returns a
// Status with the reason it is off, so `datakit-ebpf features` and the
// plugins' fallbacks speak the same language. It has no plugin knowledge,
// so a kernel-matrix test can run every probe on every kernel.
package features

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	cfeatures "github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// Status is the outcome of one probe.
type Status struct {
	On     bool
	Reason string // why it is off (or a note when on)
}

func on() Status              { return Status{On: true} }
func off(why string) Status   { return Status{Reason: why} }
func offErr(err error) Status { return Status{Reason: err.Error()} }
func (s Status) String() string {
	if s.On && s.Reason != "" {
		return "on: " + s.Reason
	}
	if s.On {
		return "on"
	}
	return "off: " + s.Reason
}

// TracefsRoot is where tracepoint formats are looked up (the loader mounts
// tracefs there when it is missing).
var TracefsRoot = "/sys/kernel/tracing"

// Root reports whether we may load BPF at all.
func Root() Status {
	if os.Geteuid() != 0 {
		return off("not root (loading BPF needs root or CAP_BPF+CAP_PERFMON)")
	}
	return on()
}

// Tracepoint reports whether group/name exists in tracefs.
func Tracepoint(group, name string) Status {
	if _, err := os.Stat(filepath.Join(TracefsRoot, "events")); err != nil {
		return off("tracefs not mounted at " + TracefsRoot)
	}
	if _, err := os.Stat(filepath.Join(TracefsRoot, "events", group, name, "format")); err != nil {
		return off(fmt.Sprintf("missing tracepoint %s/%s", group, name))
	}
	return on()
}

var kernelSpec = sync.OnceValues(btf.LoadKernelSpec)

// BTFType reports whether the kernel's BTF has a type called name.
func BTFType(name string) Status {
	spec, err := kernelSpec()
	if err != nil {
		return off("no kernel BTF: " + err.Error())
	}
	if _, err := spec.AnyTypeByName(name); err != nil {
		return off("missing BTF type " + name)
	}
	return on()
}

// BTFMember reports whether struct typ has member field (CO-RE relocates
// offsets, but cannot invent a field that is not there).
func BTFMember(typ, field string) Status {
	spec, err := kernelSpec()
	if err != nil {
		return off("no kernel BTF: " + err.Error())
	}
	var s *btf.Struct
	if err := spec.TypeByName(typ, &s); err != nil {
		return off("missing BTF type struct " + typ)
	}
	for _, m := range s.Members {
		if m.Name == field {
			return on()
		}
	}
	return off(fmt.Sprintf("missing BTF member %s.%s", typ, field))
}

// RingBuf reports BPF_MAP_TYPE_RINGBUF support (5.8+).
func RingBuf() Status { return fromErr(cfeatures.HaveMapType(ebpf.RingBuf)) }

// Helper reports whether programs of type pt may call helper h.
func Helper(pt ebpf.ProgramType, h asm.BuiltinFunc) Status {
	return fromErr(cfeatures.HaveProgramHelper(pt, h))
}

// Kprobes reports whether kprobes can be created: the kernel needs
// CONFIG_KPROBES, visible as the kprobe PMU.
func Kprobes() Status {
	if _, err := os.Stat("/sys/bus/event_source/devices/kprobe/type"); err != nil {
		return off("kernel built without kprobes (no kprobe PMU)")
	}
	return on()
}

// Fentry reports whether BPF trampolines work, by loading a minimal fentry
// program on tcp_set_state.
func Fentry() Status { return Hook{Kind: KindFentry, Target: "tcp_set_state"}.Probe() }

// TPBTF reports whether BTF-typed raw tracepoints (tp_btf) load.
func TPBTF() Status { return Hook{Kind: KindTPBTF, Target: "inet_sock_set_state"}.Probe() }

func loadTracing(at ebpf.AttachType, target string) Status {
	if st := Root(); !st.On {
		return st
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:       ebpf.Tracing,
		AttachType: at,
		AttachTo:   target,
		License:    "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
	})
	if err != nil {
		return off(loadFailure(at, target, err))
	}
	prog.Close()
	return on()
}

// loadFailure explains why a tracing program did not load. EPERM as root
// is the kernel refusing the attach kind (no BPF trampolines, lockdown):
// cilium/ebpf's "MEMLOCK may be too low" hint would mislead, since BPF
// memory is charged to the memory cgroup since 5.11 and run raises the
// rlimit anyway.
func loadFailure(at ebpf.AttachType, target string, err error) string {
	if errors.Is(err, unix.EPERM) {
		why := "BPF trampolines not available or not permitted"
		switch at {
		case ebpf.AttachTraceIter:
			why = "BPF iterators not permitted here: hosts differ, through lockdown, a BPF LSM policy or a distribution patch"
		case ebpf.AttachTraceRawTp:
			why = "BTF raw tracepoints not permitted here"
		}
		return fmt.Sprintf("the kernel refuses %s programs (EPERM loading one on %s: %s)", at, target, why)
	}
	return fmt.Sprintf("%s program on %s does not load: %v", at, target, err)
}

func fromErr(err error) Status {
	if err == nil {
		return on()
	}
	if errors.Is(err, ebpf.ErrNotSupported) {
		return off("not supported by this kernel: " + err.Error())
	}
	return offErr(err)
}
