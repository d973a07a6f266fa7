package features

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHookForSection(t *testing.T) {
	for section, want := range map[string]Hook{
		"tracepoint/sock/inet_sock_set_state":  {KindTracepoint, "sock/inet_sock_set_state"},
		"tp/syscalls/sys_exit_recvfrom":        {KindTracepoint, "syscalls/sys_exit_recvfrom"},
		"tp_btf/sock_send_length":              {KindTPBTF, "sock_send_length"},
		"raw_tracepoint/sched_process_fork":    {KindRawTracepoint, "sched_process_fork"},
		"raw_tp/sched_process_fork":            {KindRawTracepoint, "sched_process_fork"},
		"fentry/tcp_set_state":                 {KindFentry, "tcp_set_state"},
		"fexit/inet6_recvmsg":                  {KindFexit, "inet6_recvmsg"},
		"fexit.s/inet_recvmsg":                 {KindFexit, "inet_recvmsg"},
		"iter/bpf_map_elem":                    {KindIter, "bpf_map_elem"},
		"iter/task_file":                       {KindIter, "task_file"},
		"kprobe/tcp_sendmsg":                   {KindKprobe, "tcp_sendmsg"},
		"kretprobe/tcp_sendmsg":                {KindKretprobe, "tcp_sendmsg"},
		"cgroup/recvmsg4":                      {KindCgroupSockAddr, "recvmsg4"},
		"cgroup/connect6":                      {KindCgroupSockAddr, "connect6"},
		"uretprobe/readline":                   {KindUretprobe, "readline"},
		"uprobe//usr/lib/libssl.so.3:SSL_read": {KindUprobe, "/usr/lib/libssl.so.3:SSL_read"},
		"socket":                               {KindSocketFilter, ""},
		"socket/dns":                           {KindSocketFilter, ""},
	} {
		if got, ok := HookForSection(section); !ok || got != want {
			t.Errorf("HookForSection(%q) = %v, %v; want %v", section, got, ok, want)
		}
	}
	// No probe covers these: the caller must not guess.
	for _, section := range []string{"cgroup/skb", "cgroup/sock_create", "lsm/bpf", "xdp", "tracepoint/no_group",
		"tp_btf/", "iter", ".text", ""} {
		if got, ok := HookForSection(section); ok {
			t.Errorf("HookForSection(%q) = %v, want none", section, got)
		}
	}
}

// The uprobe probe reads the uprobe PMU: a kernel without
// CONFIG_UPROBE_EVENTS has none, and the reason says so.
func TestUprobeProbe(t *testing.T) {
	old := UprobePMU
	t.Cleanup(func() { UprobePMU = old })
	UprobePMU = filepath.Join(t.TempDir(), "uprobe-type")
	for _, k := range []HookKind{KindUprobe, KindUretprobe} {
		if st := (Hook{k, "readline"}).Probe(); st.On || !strings.Contains(st.Reason, "kernel built without uprobes") {
			t.Errorf("%s without the PMU: %v", k, st)
		}
	}
	if os.Geteuid() != 0 {
		return
	}
	os.WriteFile(UprobePMU, []byte("7\n"), 0o644)
	if st := (Hook{KindUretprobe, "readline"}).Probe(); !st.On {
		t.Errorf("uretprobe with a PMU, as root: %v", st)
	}
}

// The probes that load a program tell a missing target from a refused
// program type.
func TestLoadingProbes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: these probes load programs, which needs root")
	}
	if st := (Hook{KindRawTracepoint, "sched_process_fork"}).Probe(); !st.On {
		if strings.Contains(st.Reason, "refuses") {
			t.Skipf("skipped: %v", st)
		}
		t.Errorf("raw tracepoint sched_process_fork: %v", st)
	}
	if st := (Hook{KindRawTracepoint, "no_such_tracepoint"}).Probe(); st.On || st.Reason != "no raw tracepoint no_such_tracepoint" {
		t.Errorf("absent raw tracepoint: %v", st)
	}
	if st := (Hook{KindCgroupSockAddr, "recvmsg4"}).Probe(); !st.On {
		t.Errorf("cgroup recvmsg4: %v", st)
	}
	if st := (Hook{KindCgroupSockAddr, "skb"}).Probe(); st.On || !strings.Contains(st.Reason, "unknown cgroup sock_addr attach point") {
		t.Errorf("cgroup skb is no sock_addr point: %v", st)
	}
	if st := (Hook{Kind: KindSocketFilter}).Probe(); !st.On {
		t.Errorf("socket filter: %v", st)
	}
}
