// Package bpfcheck holds the checks every bpf2go-generated package runs in
// its tests: the committed object is what `go generate` builds from the
// committed C, and the Go mirrors match the object's BTF (decoders cast
// ring-buffer records to them).
package bpfcheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// MirrorsMatchBTF compares each named C struct of spec with its Go mirror:
// sizes, and every member's offset, recursively.
func MirrorsMatchBTF(t *testing.T, spec *ebpf.CollectionSpec, mirrors map[string]reflect.Type) {
	t.Helper()
	for name, goType := range mirrors {
		var s *btf.Struct
		if err := spec.Types.TypeByName(name, &s); err != nil {
			t.Fatalf("struct %s: %v", name, err)
		}
		compareStruct(t, name, s, goType)
	}
}

func compareStruct(t *testing.T, name string, s *btf.Struct, goType reflect.Type) {
	t.Helper()
	if int(s.Size) != int(goType.Size()) {
		t.Errorf("%s: BTF size %d, Go size %d", name, s.Size, goType.Size())
	}
	fields := map[string]reflect.StructField{}
	for i := 0; i < goType.NumField(); i++ {
		f := goType.Field(i)
		fields[strings.ToLower(f.Name)] = f
	}
	for _, m := range s.Members {
		key := strings.ToLower(strings.ReplaceAll(strings.TrimLeft(m.Name, "_"), "_", ""))
		f, ok := fields[key]
		if !ok {
			t.Errorf("%s.%s: no Go field", name, m.Name)
			continue
		}
		if uint32(m.Offset.Bytes()) != uint32(f.Offset) {
			t.Errorf("%s.%s: BTF offset %d, Go offset %d", name, m.Name, m.Offset.Bytes(), f.Offset)
		}
		if inner, ok := btf.UnderlyingType(m.Type).(*btf.Struct); ok {
			compareStruct(t, name+"."+m.Name, inner, f.Type)
		}
	}
}

// CommittedMatchesFresh rebuilds the package's object with the arguments
// of its gen.go directive and compares it with the committed files
// (stem_x86_bpfel.{o,go}). It skips without clang.
func CommittedMatchesFresh(t *testing.T, pkg, stem string) {
	t.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("skipped: clang not installed, cannot rebuild the BPF object")
	}
	out := t.TempDir()
	cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, generateArgs(t)...)...)
	cmd.Env = append(os.Environ(), "GOPACKAGE="+pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, b)
	}
	for _, f := range []string{stem + "_x86_bpfel.o", stem + "_x86_bpfel.go"} {
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

func generateArgs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "//go:generate go tool bpf2go "); ok {
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
