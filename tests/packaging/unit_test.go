package packaging

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseUnit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.service")
	os.WriteFile(p, []byte(`[Unit]
Description=x # not a comment
[Service]
; comment
ExecStart=/bin/x run "a b" 'c'
Environment=A=1 "B=two words"
Environment=C=3
CapabilityBoundingSet=CAP_BPF \
  CAP_PERFMON
ReadWritePaths=-/data
ReadWritePaths=
ReadWritePaths=/other
`), 0o644)
	u, err := ParseUnit(p)
	if err != nil {
		t.Fatal(err)
	}
	argv, err := u.ExecStart()
	if err != nil || !reflect.DeepEqual(argv, []string{"/bin/x", "run", "a b", "c"}) {
		t.Errorf("ExecStart = %q, %v", argv, err)
	}
	if got := u.Environment(); !reflect.DeepEqual(got, []string{"A=1", "B=two words", "C=3"}) {
		t.Errorf("Environment = %q", got)
	}
	if got := u.List("Service.CapabilityBoundingSet"); !reflect.DeepEqual(got, []string{"CAP_BPF", "CAP_PERFMON"}) {
		t.Errorf("caps = %q", got)
	}
	if got := u.List("Service.ReadWritePaths"); !reflect.DeepEqual(got, []string{"/other"}) {
		t.Errorf("an empty assignment resets the list: %q", got)
	}
	if u.Get("Unit.Description") != "x # not a comment" {
		t.Errorf("Description = %q", u.Get("Unit.Description"))
	}
	os.WriteFile(p, []byte("[Service]\nExecStart=-/bin/x\n"), 0o644)
	if u, _ = ParseUnit(p); u != nil {
		if _, err := u.ExecStart(); err == nil {
			t.Error("a '-' prefix must be refused")
		}
	}
}
