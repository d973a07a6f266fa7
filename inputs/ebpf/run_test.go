package ebpf

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netobs.local/agent/inputs"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeCollector writes a script that appends its argv (one per line, then
// "--end--") and $FAKE_MARK to dir/argv, says hello on stderr and exits 1.
func fakeCollector(t *testing.T) (cmd, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "argv")
	cmd = filepath.Join(dir, "datakit-ebpf")
	script := `#!/bin/sh
for a in "$@"; do printf '%s\n' "$a" >> "` + record + `"; done
printf 'mark=%s\n--end--\n' "$FAKE_MARK" >> "` + record + `"
echo "level=WARN msg=fake collector exiting" >&2
exit 1
`
	if err := os.WriteFile(cmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cmd, record
}

func runs(record string) [][]string {
	b, _ := os.ReadFile(record)
	var out [][]string
	for _, r := range strings.Split(string(b), "--end--\n") {
		if r != "" {
			out = append(out, strings.Split(strings.TrimSuffix(r, "\n"), "\n"))
		}
	}
	return out
}

func TestRunStartsAndRestartsTheCollector(t *testing.T) {
	cmd, record := fakeCollector(t)
	in := New()
	in.Name = "ebpf-runtest"
	in.Cmd = cmd
	in.Envs = []string{"FAKE_MARK=from-envs"}
	in.Interval = "5s"
	in.Tags = map[string]string{"team": "net"}
	in.backoff = 20 * time.Millisecond

	logs := &lockedBuffer{}
	var restarts atomic.Int32
	env := inputs.Env{Hostname: "host-a", APIAddr: "0.0.0.0:19529",
		Log: slog.New(slog.NewTextHandler(logs, nil)), Restarted: func() { restarts.Add(1) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, env) }()

	deadline := time.Now().Add(10 * time.Second)
	for len(runs(record)) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}

	got := runs(record)
	if len(got) < 3 {
		t.Fatalf("collector ran %d times, want at least 3 (restarted after exit)\nlog:\n%s", len(got), logs)
	}
	want := "run --hostname host-a --datakit-apiserver 127.0.0.1:19529 --log - --log-level info --service ebpf-runtest" +
		" --enabled ebpf-net --l7net-enabled httpflow --interval 5s --tags team=net mark=from-envs"
	for i, r := range got {
		if s := strings.Join(r, " "); s != want {
			t.Errorf("run %d argv:\n got %s\nwant %s", i+1, s, want)
		}
	}
	if n := int(restarts.Load()); n < len(got)-1 {
		t.Errorf("Restarted called %d times for %d runs", n, len(got))
	}
	text := logs.String()
	if want := "ebpf-runtest: level=WARN msg=fake collector exiting"; !strings.Contains(text, want) { // the collector's stderr, prefixed
		t.Errorf("log lacks %q:\n%s", want, text)
	}
}

func TestRunRefusesNothingToRun(t *testing.T) {
	in := New()
	in.EnabledPlugins = []string{"ebpf-trace"}
	err := in.Run(context.Background(), inputs.Env{Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "nothing to run") || !strings.Contains(err.Error(), "ebpf-trace") {
		t.Errorf("Run = %v, want an error saying nothing is runnable", err)
	}
}

func TestRunReportsAMissingCollector(t *testing.T) {
	in := New()
	in.Cmd = "/nonexistent/datakit-ebpf"
	err := in.Run(context.Background(), inputs.Env{Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/datakit-ebpf") {
		t.Errorf("Run = %v, want an error naming the missing command", err)
	}
}

func TestDefaultCommandSearch(t *testing.T) {
	cands := defaultCommands()
	exe, _ := os.Executable()
	dir := filepath.Dir(exe)
	want := []string{filepath.Join(dir, "datakit-ebpf"), filepath.Join(dir, "externals", "datakit-ebpf"), "/usr/local/datakit/externals/datakit-ebpf"}
	if strings.Join(cands, " ") != strings.Join(want, " ") {
		t.Errorf("candidates %v, want %v", cands, want)
	}
	if _, err := os.Stat(want[2]); err == nil {
		t.Skipf("skipped the not-found case: %s exists on this host", want[2])
	}
	_, err := New().command()
	if err == nil || !strings.Contains(err.Error(), want[0]) || !strings.Contains(err.Error(), "make build") {
		t.Errorf("command() = %v, want an error listing where it looked", err)
	}
}
