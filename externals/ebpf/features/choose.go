package features

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
)

// HookKind is a way of attaching a BPF program to a kernel event.
type HookKind string

const (
	KindTracepoint HookKind = "tracepoint" // Target "group/event"
	KindTPBTF      HookKind = "tp_btf"     // Target: the raw tracepoint's name
	KindFentry     HookKind = "fentry"     // Target: a kernel function with BTF
	KindFexit      HookKind = "fexit"
	KindKprobe     HookKind = "kprobe" // Target: a kernel function symbol
	KindKretprobe  HookKind = "kretprobe"
	// KindCgroupSockAddr is a cgroup sock_addr program (Target: its
	// attach point, as in "recvmsg4"), attached to the cgroup v2 root.
	KindCgroupSockAddr HookKind = "cgroup"
	// KindIter is a BPF iterator (Target: "bpf_map_elem", "task_file",
	// ...), run by reading it rather than by a kernel event.
	KindIter HookKind = "iter"
	// KindRawTracepoint is a raw tracepoint (Target: its name, as
	// "sched_process_fork").
	KindRawTracepoint HookKind = "raw_tp"
	// KindUprobe and KindUretprobe attach to a user binary's function
	// (Target: "symbol" or "path:symbol"); the probe checks the kernel's
	// side only, the binary is the plugin's to find.
	KindUprobe    HookKind = "uprobe"
	KindUretprobe HookKind = "uretprobe"
	// KindSocketFilter is a socket filter program (no Target).
	KindSocketFilter HookKind = "socket"
)

// Hook is one candidate attach point for an event.
type Hook struct {
	Kind   HookKind
	Target string
}

func (h Hook) String() string { return string(h.Kind) + " " + h.Target }

// Paths the probes read, variables so tests can point them elsewhere.
var (
	KprobePMU    = "/sys/bus/event_source/devices/kprobe/type"
	UprobePMU    = "/sys/bus/event_source/devices/uprobe/type"
	KallsymsPath = "/proc/kallsyms"
)

// Probe reports whether h can be used on this kernel, and why not.
func (h Hook) Probe() Status {
	if st, ok := refusedByEnv(h.Kind); ok {
		return st
	}
	switch h.Kind {
	case KindTracepoint:
		group, event, ok := strings.Cut(h.Target, "/")
		if !ok {
			return off(fmt.Sprintf("tracepoint %q is not group/event", h.Target))
		}
		return Tracepoint(group, event)
	case KindTPBTF:
		return loadTracing(ebpf.AttachTraceRawTp, h.Target)
	case KindFentry:
		return loadTracing(ebpf.AttachTraceFEntry, h.Target)
	case KindFexit:
		return loadTracing(ebpf.AttachTraceFExit, h.Target)
	case KindIter:
		return loadTracing(ebpf.AttachTraceIter, h.Target)
	case KindKprobe, KindKretprobe:
		return kprobeOn(h.Target)
	case KindSockDiag:
		return sockDiagOn()
	case KindCgroupSockAddr:
		return sockAddrOn(h.Target)
	case KindRawTracepoint:
		return rawTracepointOn(h.Target)
	case KindUprobe, KindUretprobe:
		return uprobeOn()
	case KindSocketFilter:
		if err := features.HaveProgramType(ebpf.SocketFilter); err != nil {
			return off("no socket filter programs: " + err.Error())
		}
		return on()
	}
	return off(fmt.Sprintf("unknown hook kind %q", h.Kind))
}

// kprobeOn: the kernel has kprobes and the function is a text symbol (a
// function inlined everywhere, or renamed by the compiler as
// name.isra.0, is not there to probe).
func kprobeOn(fn string) Status {
	if _, err := os.Stat(KprobePMU); err != nil {
		return off("kernel built without kprobes (no kprobe PMU)")
	}
	f, err := os.Open(KallsymsPath)
	if err != nil {
		return off("cannot read kernel symbols: " + err.Error())
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "ffffffff81a2b3c0 T tcp_sendmsg" (a module symbol adds "\t[mod]")
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[2] == fn && (fields[1] == "T" || fields[1] == "t") {
			return on()
		}
	}
	if err := sc.Err(); err != nil {
		return off("reading kernel symbols: " + err.Error())
	}
	return off("no kernel function " + fn + " to probe")
}

// A Candidate is one way to observe an event: a Hook, or a plugin's group
// of hooks that serve the event together (fexit on inet_sendmsg and on
// inet6_sendmsg).
type Candidate interface {
	Probe() Status
	String() string
}

// Choice is the candidate picked for one event on this kernel, and why
// each better-ranked one was passed over.
type Choice[C Candidate] struct {
	Event  string
	Tried  []C      // candidates, best first
	Status []Status // Status[i] is Tried[i]'s probe; nothing after Picked is probed
	Picked int      // index into Tried; -1 when no candidate is available
}

// Choose probes the candidates in order of preference and picks the first
// this kernel offers. Plugins rank their hooks (for example the
// sock_send_length tracepoint, then fexit on inet_sendmsg) and the
// features report prints the Choice, so the hook a kernel got is never a
// guess.
func Choose[C Candidate](event string, prefs ...C) Choice[C] {
	c := Choice[C]{Event: event, Tried: prefs, Picked: -1}
	for i, h := range prefs {
		st := h.Probe()
		c.Status = append(c.Status, st)
		if st.On {
			c.Picked = i
			break
		}
	}
	return c
}

// Chosen returns the picked candidate; ok is false when none is available.
func (c Choice[C]) Chosen() (h C, ok bool) {
	if c.Picked < 0 {
		return h, false
	}
	return c.Tried[c.Picked], true
}

// AsStatus is the Choice as one features-report status: on, with the
// picked candidate and why the better ones were skipped as the note
// (Reason), or off with every candidate's reason.
func (c Choice[C]) AsStatus() Status {
	var skipped []string
	for i, st := range c.Status {
		if i != c.Picked {
			skipped = append(skipped, fmt.Sprintf("%s: %s", c.Tried[i], st.Reason))
		}
	}
	if c.Picked < 0 {
		return off("no hook available (" + strings.Join(skipped, "; ") + ")")
	}
	note := "via " + c.Tried[c.Picked].String()
	if len(skipped) > 0 {
		note += " (" + strings.Join(skipped, "; ") + ")"
	}
	return Status{On: true, Reason: note}
}

// String is the report cell: "on: via HOOK (skipped: why)" or "off: ...".
func (c Choice[C]) String() string { return c.AsStatus().String() }
