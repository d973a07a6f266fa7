package features

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestTracepointReasons(t *testing.T) {
	dir := t.TempDir()
	old := TracefsRoot
	defer func() { TracefsRoot = old }()
	TracefsRoot = dir
	if st := Tracepoint("sock", "x"); st.On || !strings.Contains(st.Reason, "tracefs not mounted") {
		t.Fatalf("no tracefs: %v", st)
	}
	os.MkdirAll(filepath.Join(dir, "events", "sock", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "events", "sock", "x", "format"), nil, 0o644)
	if st := Tracepoint("sock", "x"); !st.On {
		t.Fatalf("present tracepoint: %v", st)
	}
	if st := Tracepoint("sock", "y"); st.On || st.Reason != "missing tracepoint sock/y" {
		t.Fatalf("missing tracepoint: %v", st)
	}
}

func TestBTFProbes(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("skipped: no kernel BTF on this host")
	}
	if st := BTFMember("tcp_sock", "srtt_us"); !st.On {
		t.Fatalf("tcp_sock.srtt_us: %v", st)
	}
	if st := BTFMember("tcp_sock", "no_such_field"); st.On || !strings.Contains(st.Reason, "missing BTF member") {
		t.Fatalf("absent member: %v", st)
	}
	if st := BTFType("no_such_type_xyz"); st.On {
		t.Fatal("absent type reported on")
	}
}

// cilium/ebpf wraps a load EPERM with a memlock hint; the reason we give
// names the real cause and keeps other errors as they are.
func TestLoadFailureReasons(t *testing.T) {
	eperm := fmt.Errorf("load program: %w (MEMLOCK may be too low, consider rlimit.RemoveMemlock)", unix.EPERM)
	got := loadFailure(ebpf.AttachTraceFEntry, "tcp_set_state", eperm)
	if strings.Contains(got, "MEMLOCK") || !strings.Contains(got, "EPERM") || !strings.Contains(got, "TraceFEntry") {
		t.Errorf("EPERM: %q", got)
	}
	other := loadFailure(ebpf.AttachTraceFEntry, "tcp_set_state", errors.New("load program: invalid argument"))
	if !strings.Contains(other, "invalid argument") {
		t.Errorf("other error: %q", other)
	}
}

func TestRefusedByEnv(t *testing.T) {
	defer func(old []HookKind) { refused = old }(refused)
	refused = parseRefused(" iter, tp_btf ,")
	st := Hook{Kind: KindIter, Target: "bpf_map_elem"}.Probe()
	if st.On || !strings.Contains(st.Reason, RefuseEnv) {
		t.Errorf("iter with %s=iter,tp_btf: %v, want off naming the variable", RefuseEnv, st)
	}
	if st := (Hook{Kind: KindTracepoint, Target: "no/such"}).Probe(); strings.Contains(st.Reason, RefuseEnv) {
		t.Errorf("a tracepoint is not refused by the variable: %v", st)
	}
}
