package guest

import (
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// kernelVersion is the running kernel's major and minor number.
func kernelVersion(t *testing.T) (release string, major, minor int) {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release = unix.ByteSliceToString(u.Release[:])
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", release, err)
	}
	return release, major, minor
}

// atLeast reports whether the kernel is major.minor or newer.
func atLeast(maj, min, major, minor int) bool { return maj > major || maj == major && min >= minor }

// featuresReport runs `datakit-ebpf features` and returns STATUS by
// "PLUGIN / DEPENDENCY", plus the raw table.
func featuresReport(t *testing.T) (map[string]string, string) {
	t.Helper()
	out, err := exec.Command(collectorBinary(t), "features").CombinedOutput()
	if err != nil {
		t.Fatalf("datakit-ebpf features: %v\n%s", err, out)
	}
	cols := regexp.MustCompile(`\s{2,}`)
	rows := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "PLUGIN") || strings.TrimSpace(line) == "" {
			continue
		}
		f := cols.Split(strings.TrimSpace(line), 3)
		if len(f) != 3 {
			t.Fatalf("features: cannot read row %q", line)
		}
		rows[f[0]+" / "+f[1]] = f[2]
	}
	return rows, string(out)
}

// TestFeaturesTable checks that `datakit-ebpf features` reports what this
// kernel has: hooks by the version they appeared in, kprobes and fentry by
// the kernel's build (Debian's have both; this project's 6.18 hosts,
// release "*-fc-*", have neither). Each row is logged as "feature|ROW|on"
// so tests/kernels/test-kernels.sh can print the table of every kernel
// side by side.
func TestFeaturesTable(t *testing.T) {
	testenv.RequireRoot(t)
	release, maj, min := kernelVersion(t)
	rows, raw := featuresReport(t)
	names := slices.Sorted(maps.Keys(rows))
	for _, k := range names {
		state := "on"
		if !strings.HasPrefix(rows[k], "on") {
			state = "off"
		}
		t.Logf("feature|%s|%s", k, state)
	}

	want := map[string]bool{
		"(kernel) / tp_btf raw tracepoints":                                 atLeast(maj, min, 5, 5),
		"(kernel) / kernel BTF (CO-RE)":                                     true,
		"ebpf-net / map ringbuf":                                            atLeast(maj, min, 5, 8),
		"ebpf-net / hook tcp state changes":                                 true,
		"ebpf-net / hook socket sends":                                      true,
		"ebpf-net / hook socket receives":                                   true,
		"ebpf-net / helper bpf_task_pt_regs (else the stack-top registers)": atLeast(maj, min, 5, 15),
	}
	// The way sends and receives are observed: the tracepoints from 6.3
	// (as tp_btf), fexit on the inet functions before.
	via := map[string]string{
		"ebpf-net / hook socket sends":    "on: via tp_btf sock_send_length",
		"ebpf-net / hook socket receives": "on: via tp_btf sock_recv_length",
	}
	if !atLeast(maj, min, 6, 3) {
		via["ebpf-net / hook socket sends"] = "on: via fexit inet_sendmsg+inet6_sendmsg (tp_btf sock_send_length: "
		via["ebpf-net / hook socket receives"] = "on: via fexit inet_recvmsg+inet6_recvmsg (tp_btf sock_recv_length: "
	}
	// A kernel may have tp_btf and refuse it (EPERM, as some hosts refuse
	// iterators and trampolines; or features.RefuseEnv): the collector's
	// probe says so, and the tracepoints serve instead.
	if st := (features.Hook{Kind: features.KindTPBTF, Target: "sock_send_length"}).Probe(); refused(st) && atLeast(maj, min, 6, 3) {
		t.Logf("kernel %s: tp_btf refused here: %s", release, st.Reason)
		want["(kernel) / tp_btf raw tracepoints"] = false
		via["ebpf-net / hook socket sends"] = "on: via tracepoint sock/sock_send_length (tp_btf sock_send_length: "
		via["ebpf-net / hook socket receives"] = "on: via tracepoint sock/sock_recv_length (tp_btf sock_recv_length: "
	}
	for row, prefix := range via {
		if got := rows[row]; !strings.HasPrefix(got, prefix) {
			t.Errorf("kernel %s: %s is %q, want %q...", release, row, got, prefix)
		}
	}
	switch {
	case strings.HasSuffix(release, "-amd64"): // Debian's kernels
		want["(kernel) / kprobes (never required)"] = true
		want["(kernel) / fentry/fexit trampolines (never required)"] = true
	case strings.Contains(release, "-fc-"): // this project's hosts
		want["(kernel) / kprobes (never required)"] = false
		want["(kernel) / fentry/fexit trampolines (never required)"] = false
	default:
		t.Logf("kernel %s: no expectation for kprobes and fentry (neither Debian's nor this project's host kernel)", release)
	}
	for row, on := range want {
		got, ok := rows[row]
		if !ok {
			t.Errorf("kernel %s: no row %q in:\n%s", release, row, raw)
			continue
		}
		if strings.HasPrefix(got, "on") != on {
			t.Errorf("kernel %s: %s is %q, want on=%v", release, row, got, on)
		}
	}
}

// refused is a probe's verdict that the kernel has the hook but will not
// load it, as opposed to lacking it.
func refused(st features.Status) bool {
	return !st.On && (strings.Contains(st.Reason, "refuses") || strings.Contains(st.Reason, features.RefuseEnv))
}
