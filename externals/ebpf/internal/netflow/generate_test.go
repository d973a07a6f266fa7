package netflow

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The committed object and bindings must be what `go generate` makes from
// the committed C. Runs only where clang is installed (tests/deps/ebpf.txt).
func TestCommittedObjectMatchesFreshBuild(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("skipped: clang not installed, cannot rebuild the BPF object")
	}
	args := generateArgs(t)
	out := t.TempDir()
	cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, args...)...)
	cmd.Env = append(os.Environ(), "GOPACKAGE=netflow")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, b)
	}
	for _, f := range []string{"netflow_x86_bpfel.o", "netflow_x86_bpfel.go"} {
		fresh, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s differs from a fresh build: run `go generate ./externals/ebpf/...` and commit", f)
		}
	}
}

// generateArgs reads the bpf2go arguments from gen.go's directive, so the
// test and `go generate` cannot disagree.
func generateArgs(t *testing.T) []string {
	f, err := os.Open("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if rest, ok := strings.CutPrefix(line, "//go:generate go tool bpf2go "); ok {
			return splitQuoted(rest)
		}
	}
	t.Fatal("gen.go has no bpf2go directive")
	return nil
}

func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}
