package child

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// record is one log record a test logger captured.
type record struct {
	at    time.Time
	level slog.Level
	msg   string
	attrs map[string]string
}

// capture is a slog.Handler that keeps every record for assertions.
type capture struct {
	mu   *sync.Mutex
	recs *[]record
	with []slog.Attr
}

func newCapture() (*slog.Logger, *capture) {
	c := &capture{mu: &sync.Mutex{}, recs: &[]record{}}
	return slog.New(c), c
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) WithGroup(string) slog.Handler            { return c }
func (c *capture) WithAttrs(as []slog.Attr) slog.Handler {
	return &capture{mu: c.mu, recs: c.recs, with: append(append([]slog.Attr{}, c.with...), as...)}
}

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := record{at: time.Now(), level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range c.with {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true })
	c.mu.Lock()
	*c.recs = append(*c.recs, rec)
	c.mu.Unlock()
	return nil
}

// matching returns the records whose message has the given prefix.
func (c *capture) matching(prefix string) []record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []record
	for _, r := range *c.recs {
		if strings.HasPrefix(r.msg, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (c *capture) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, r := range *c.recs {
		fmt.Fprintf(&b, "%s %s %v\n", r.level, r.msg, r.attrs)
	}
	return b.String()
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startSh supervises `sh -c script` under name, stopped at the test's end.
func startSh(t *testing.T, name, script string, tweak func(*Spec)) (*Process, *capture) {
	t.Helper()
	log, c := newCapture()
	spec := Spec{Name: name, Path: "/bin/sh", Args: []string{"-c", script}, Log: log,
		StopTimeout: 2 * time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	if tweak != nil {
		tweak(&spec)
	}
	p, err := Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("log records:\n%s", c.dump())
		}
	})
	return p, c
}

// procState returns the state letter of pid from /proc ("" when it is gone)
// and its parent pid.
func procState(pid int) (state string, ppid int) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0
	}
	// The command name is in parentheses and may hold spaces.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

// zombieChildren lists the pids of this test process's children in state Z.
func zombieChildren(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var zs []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ppid := procState(pid); ppid == os.Getpid() && st == "Z" {
			zs = append(zs, pid)
		}
	}
	return zs
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	st, _ := procState(pid)
	return st != "" && st != "Z" && syscall.Kill(pid, 0) == nil
}

func counterValue(t *testing.T, name string) float64 {
	t.Helper()
	var m dto.Metric
	if err := restartsTotal.WithLabelValues(name).Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return m.GetCounter().GetValue()
}
