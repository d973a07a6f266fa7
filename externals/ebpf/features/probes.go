package features

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// minimal loads a program of the spec's type that returns ret, the way
// the kernel would have to accept the collector's own.
func minimal(spec ebpf.ProgramSpec, ret int32) (*ebpf.Program, error) {
	spec.License = "GPL"
	spec.Instructions = asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()}
	return ebpf.NewProgram(&spec)
}

// sockAddrOn loads a cgroup sock_addr program for that attach point
// ("recvmsg4"): each point is an attach type of its own, added over
// kernel releases. Loading is enough; attaching it would run it on every
// socket of the host.
func sockAddrOn(point string) Status {
	at, ok := sockAddrAttach[point]
	if !ok {
		return off(fmt.Sprintf("unknown cgroup sock_addr attach point %q", point))
	}
	if st := Root(); !st.On {
		return st
	}
	prog, err := minimal(ebpf.ProgramSpec{Type: ebpf.CGroupSockAddr, AttachType: at}, 1)
	if err != nil {
		return off(refusal("cgroup sock_addr "+point, err))
	}
	prog.Close()
	return on()
}

// rawTracepointOn loads a raw tracepoint program and opens it on name: the
// kernel checks the name only there (ENOENT for a tracepoint it lacks).
// The program returns at once and is closed before this returns.
func rawTracepointOn(name string) Status {
	if st := Root(); !st.On {
		return st
	}
	prog, err := minimal(ebpf.ProgramSpec{Type: ebpf.RawTracepoint}, 0)
	if err != nil {
		return off(refusal("raw tracepoint", err))
	}
	defer prog.Close()
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: name, Program: prog})
	if errors.Is(err, unix.ENOENT) {
		return off("no raw tracepoint " + name)
	}
	if err != nil {
		return off(refusal("raw tracepoint "+name, err))
	}
	l.Close()
	return on()
}

// uprobeOn: the kernel has uprobes (CONFIG_UPROBE_EVENTS, visible as the
// uprobe PMU) and loads kprobe-type programs, which uprobes run.
func uprobeOn() Status {
	if _, err := os.Stat(UprobePMU); err != nil {
		return off("kernel built without uprobes (no uprobe PMU, CONFIG_UPROBE_EVENTS)")
	}
	if st := Root(); !st.On {
		return st
	}
	prog, err := minimal(ebpf.ProgramSpec{Type: ebpf.Kprobe}, 0)
	if err != nil {
		return off(refusal("uprobe (kprobe-type)", err))
	}
	prog.Close()
	return on()
}

// refusal says why a minimal program did not load: EPERM as root is the
// kernel refusing the program type (lockdown, an LSM policy), not
// MEMLOCK, whatever cilium/ebpf's hint says (see loadFailure).
func refusal(what string, err error) string {
	if errors.Is(err, unix.EPERM) {
		return fmt.Sprintf("the kernel refuses %s programs (EPERM)", what)
	}
	return fmt.Sprintf("%s program does not load: %v", what, err)
}
