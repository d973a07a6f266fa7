package netflow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/domains"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/externals/ebpf/internal/proccache"
	"netobs.local/agent/externals/ebpf/internal/procselect"
	"netobs.local/agent/tests/testenv"
)

// portEngine keeps the events of one port, from every process.
type portEngine struct {
	port uint16
	mu   sync.Mutex
	evs  []l7.Event
}

func (r *portEngine) Handle(ev *l7.Event) {
	if ev.Dir == l7.DirClose || ev.Local.Port() != r.port && ev.Remote.Port() != r.port {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := *ev
	e.Payload = bytes.Clone(ev.Payload)
	r.evs = append(r.evs, e)
}
func (r *portEngine) Source(l7.Source, func(uint64, l7.Verdict)) {}
func (r *portEngine) Domains() *domains.Cache                    { return domains.New(16) }
func (r *portEngine) TableDrops() uint64                         { return 0 }
func (r *portEngine) Points() uint64                             { return 0 }

// sendsOf are the payloads pid sent to the port.
func (r *portEngine) sendsOf(pid uint32) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.sendsOfLocked(pid) {
		out = append(out, string(e.Payload))
	}
	return out
}

// Selection reaches into the kernel: a process that selection excludes
// by its command line is put in the capture's skip map once the process
// cache reports its exec, and its payload is never copied, while the
// same program not excluded is captured; the server that both talk to is
// observed throughout.
func TestL7KernelSkipsExcluded(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "bash")
	if _, err := loader.Prepare(); err != nil { // tracefs, as the collector mounts it
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	procs := proccache.New("/proc", time.Minute, log)
	if err := procs.Load(); err != nil {
		t.Fatal(err)
	}
	defer procs.Close()
	if err := procs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer procs.Stop()
	sel := procselect.New(procselect.Rules{ExcludeCmd: regexp.MustCompile(`netobs-skip-me`)}, procs, nil)
	skip := procselect.NewKernelSet(sel, procs)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(l)
	defer srv.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)

	rec := &portEngine{port: port}
	p := New(Config{Interval: time.Hour, EphemeralStart: 32768, ProcRoot: "/proc", HostRoot: "/",
		L7: L7Config{HTTP: true, Engine: rec, Skip: skip}}, discard{}, log)
	if err := p.Load(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	// Each client waits for a line on stdin, so that the test can wait for
	// the skip map before the client sends.
	client := func(name, path string) (*exec.Cmd, io.WriteCloser) {
		script := fmt.Sprintf(`read x; exec 3<>/dev/tcp/127.0.0.1/%d; printf 'GET /%s HTTP/1.0\r\nHost: x\r\n\r\n' >&3; cat <&3 >/dev/null`, port, path)
		cmd := exec.Command("bash", "-c", script, name)
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, in
	}
	skipped, skippedIn := client("netobs-skip-me", "skipped")
	kept, keptIn := client("netobs-keep-me", "kept")
	skippedPid, keptPid := uint32(skipped.Process.Pid), uint32(kept.Process.Pid)
	testenv.Eventually(t, 5*time.Second, "the excluded client in the skip map", func() bool { return skip.Has(skippedPid) })
	if skip.Has(keptPid) {
		t.Fatal("the client selection observes is in the skip map")
	}
	for _, in := range []io.WriteCloser{skippedIn, keptIn} {
		io.WriteString(in, "go\n")
		in.Close()
	}
	for _, c := range []*exec.Cmd{skipped, kept} {
		if err := c.Wait(); err != nil {
			t.Fatalf("client: %v", err)
		}
	}
	testenv.Eventually(t, 5*time.Second, "the kept client's request, and the server's reads of both", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var reads int
		for _, e := range rec.evs {
			if e.Dir == l7.DirRecv && e.Local.Port() == port && strings.HasPrefix(string(e.Payload), "GET /") {
				reads++
			}
		}
		return reads >= 2 && len(rec.sendsOfLocked(keptPid)) > 0
	})
	if got := rec.sendsOf(keptPid); !strings.HasPrefix(got[0], "GET /kept ") {
		t.Errorf("the kept client sent %q", got)
	}
	if got := rec.sendsOf(skippedPid); len(got) > 0 {
		t.Errorf("the excluded client's payload was copied: %q", got)
	}
	testenv.Eventually(t, 5*time.Second, "the excluded client out of the skip map after its exit", func() bool { return !skip.Has(skippedPid) })
}

func (r *portEngine) sendsOfLocked(pid uint32) []l7.Event {
	var out []l7.Event
	for _, e := range r.evs {
		if e.Pid == pid && e.Dir == l7.DirSend && e.Remote.Port() == r.port {
			out = append(out, e)
		}
	}
	return out
}
