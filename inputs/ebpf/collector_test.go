package ebpf

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/inputs"
	"netobs.local/agent/tests/testenv"
)

// collectorPids lists this process's children running datakit-ebpf.
func collectorPids() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+2:])
		if s[open+1:end] == "datakit-ebpf" && f[0] != "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestRealCollectorUnderSupervision runs the real datakit-ebpf with the flags
// this input generates, against a stand-in for datakit's API: it must start
// with them, post points, come back after SIGKILL, and stop with the input.
func TestRealCollectorUnderSupervision(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "datakit-ebpf")

	var mu sync.Mutex
	posts := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts[r.URL.Path]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer api.Close()
	writes := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for p, c := range posts {
			if strings.HasPrefix(p, "/v1/write/") {
				n += c
			}
		}
		return n
	}

	in := New()
	in.Name, in.Cmd, in.Interval, in.backoff = "ebpf-real", bin, "1s", 200*time.Millisecond
	in.Tags = map[string]string{"suite": "inputs-ebpf"}
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = in.Run(ctx, inputs.Env{Hostname: "e2e-host", APIAddr: api.Listener.Addr().String(),
			Log: slog.New(slog.NewTextHandler(logs, nil))})
	}()
	defer func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("datakit log:\n%s", logs)
		}
	}()

	testenv.Eventually(t, 30*time.Second, "the collector to post", func() bool { return writes() > 0 })
	first := collectorPids()
	if len(first) != 1 {
		t.Fatalf("want one datakit-ebpf child, found %v", first)
	}
	if err := syscall.Kill(first[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "a new collector", func() bool {
		p := collectorPids()
		return len(p) == 1 && p[0] != first[0]
	})
	before := writes()
	testenv.Eventually(t, 30*time.Second, "the restarted collector to post", func() bool { return writes() > before })

	cancel()
	select {
	case <-done:
		if runErr != nil {
			t.Fatalf("Run: %v", runErr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if p := collectorPids(); len(p) > 0 {
		t.Errorf("collector still running after the input stopped: %v", p)
	}
	if !strings.Contains(logs.String(), "ebpf-real: child exited; restarting") {
		t.Errorf("restart not logged")
	}
}
