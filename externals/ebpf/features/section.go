package features

import (
	"strings"

	"github.com/cilium/ebpf"
)

// sectionKinds maps the ELF section prefixes (as libbpf and cilium/ebpf
// name them, "PREFIX/TARGET") of the program types the collector uses to
// the hook kind that probes them. The sleepable flavours (".s") attach
// where the plain ones do.
var sectionKinds = map[string]HookKind{
	"tracepoint": KindTracepoint, "tp": KindTracepoint,
	"tp_btf":         KindTPBTF,
	"raw_tracepoint": KindRawTracepoint, "raw_tp": KindRawTracepoint,
	"fentry": KindFentry, "fentry.s": KindFentry,
	"fexit": KindFexit, "fexit.s": KindFexit,
	"iter": KindIter, "iter.s": KindIter,
	"kprobe": KindKprobe, "kretprobe": KindKretprobe,
	"uprobe": KindUprobe, "uprobe.s": KindUprobe,
	"uretprobe": KindUretprobe, "uretprobe.s": KindUretprobe,
	"cgroup": KindCgroupSockAddr,
	"socket": KindSocketFilter,
}

// HookForSection is the hook a program of that ELF section attaches to
// ("tracepoint/sock/inet_sock_set_state" is Hook{KindTracepoint,
// "sock/inet_sock_set_state"}), so a test asks the collector's own probe
// whether the program should load here. ok is false for a section no
// probe covers (a cgroup hook other than sock_addr, a new program type):
// the caller must say so rather than guess.
func HookForSection(section string) (h Hook, ok bool) {
	prefix, target, _ := strings.Cut(section, "/")
	kind, ok := sectionKinds[prefix]
	if !ok {
		return Hook{}, false
	}
	switch kind {
	case KindSocketFilter: // "socket" or "socket/anything": no target
		return Hook{Kind: kind}, true
	case KindCgroupSockAddr:
		if _, ok := sockAddrAttach[target]; !ok {
			return Hook{}, false
		}
	case KindTracepoint:
		if !strings.Contains(target, "/") {
			return Hook{}, false
		}
	}
	if target == "" {
		return Hook{}, false
	}
	return Hook{Kind: kind, Target: target}, true
}

// sockAddrAttach are the cgroup sock_addr attach points by their section
// name (libbpf's), each a kernel attach type of its own: recvmsg4 came
// in 5.2, years after connect4, so the probe loads one of that type.
var sockAddrAttach = map[string]ebpf.AttachType{
	"bind4": ebpf.AttachCGroupInet4Bind, "bind6": ebpf.AttachCGroupInet6Bind,
	"connect4": ebpf.AttachCGroupInet4Connect, "connect6": ebpf.AttachCGroupInet6Connect,
	"sendmsg4": ebpf.AttachCGroupUDP4Sendmsg, "sendmsg6": ebpf.AttachCGroupUDP6Sendmsg,
	"recvmsg4": ebpf.AttachCGroupUDP4Recvmsg, "recvmsg6": ebpf.AttachCGroupUDP6Recvmsg,
	"getpeername4": ebpf.AttachCgroupInet4GetPeername, "getpeername6": ebpf.AttachCgroupInet6GetPeername,
	"getsockname4": ebpf.AttachCgroupInet4GetSockname, "getsockname6": ebpf.AttachCgroupInet6GetSockname,
}
