package loader

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// A collection with an fentry program, loaded on a kernel that refuses
// trampolines: cilium/ebpf blames MEMLOCK; the error we return says what
// the fentry probe found instead, and is still an EPERM.
func TestLoadErrorNamesTheRefusal(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := Prepare(); err != nil { // removes the rlimit, as run does
		t.Fatal(err)
	}
	if st := features.Fentry(); st.On {
		t.Skip("skipped: this kernel loads fentry programs, so it cannot refuse one")
	}
	ret0 := asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"fine":      {Name: "fine", Type: ebpf.SocketFilter, License: "GPL", Instructions: ret0},
		"on_fentry": {Name: "on_fentry", Type: ebpf.Tracing, AttachType: ebpf.AttachTraceFEntry, AttachTo: "tcp_set_state", License: "GPL", Instructions: ret0},
	}}
	coll, err := ebpf.NewCollection(spec)
	if err == nil {
		coll.Close()
		t.Fatal("the fentry program loaded although the probe says fentry is refused")
	}
	if !strings.Contains(err.Error(), "MEMLOCK") {
		t.Skipf("skipped: cilium/ebpf no longer gives its memlock hint here: %v", err)
	}
	got := LoadError(spec, err)
	if msg := got.Error(); strings.Contains(msg, "MEMLOCK may be too low") || !strings.Contains(msg, "program on_fentry") ||
		!strings.Contains(msg, "probe: the kernel refuses TraceFEntry programs") || !strings.Contains(msg, "not RLIMIT_MEMLOCK (Prepare removed it") {
		t.Errorf("explained: %q\n(from %q)", msg, err)
	}
	if !errors.Is(got, unix.EPERM) {
		t.Errorf("%v no longer is EPERM", got)
	}
}

// Errors without the hint pass through unchanged.
func TestLoadErrorKeepsOthers(t *testing.T) {
	for _, err := range []error{nil, errors.New("program x: load program: invalid argument"), unix.EPERM} {
		if got := LoadError(nil, err); got != err {
			t.Errorf("LoadError(%v) = %v, want it unchanged", err, got)
		}
	}
}
