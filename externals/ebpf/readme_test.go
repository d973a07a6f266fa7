package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/config"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// TestREADMEProcessTags keeps the top README's row about process_path and
// process_args true to the code: it names every measurement that declares
// them, and says they are off unless process_args is set, as long as
// --process-args defaults to false.
func TestREADMEProcessTags(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "|") && strings.Contains(line, "`process_path`") {
			row = line
			break
		}
	}
	if row == "" {
		t.Fatal("README.md has no table row about `process_path`")
	}
	for _, m := range measure.All() {
		if m.HasTag("process_path") && !strings.Contains(row, "`"+m.Name+"`") {
			t.Errorf("README row %q does not name %s, which carries process_path", row, m.Name)
		}
	}
	if strings.Contains(row, "(all)") {
		t.Errorf("README row %q says every record carries them", row)
	}
	c, err := config.Parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ProcessArgs && (!strings.Contains(row, "off by default") || !strings.Contains(row, "process_args = true")) {
		t.Errorf("README row %q does not say that they are off by default and that process_args = true turns them on", row)
	}
}
