// Package e2e holds the end-to-end tests: they run the real binaries
// (bin/datakit, bin/datakit-ebpf) against real servers and real clients.
package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// Supervisor is a datakit process started by a test with its own conf dir.
type Supervisor struct {
	t       testing.TB
	ConfDir string
	DataDir string
	Addr    string // host:port of the API
	Proc    *testenv.Proc
	client  *http.Client
}

// StartSupervisor writes datakit.conf (with the API on a free loopback port
// and data under a temp dir, prepended to extra) plus any input files, starts
// bin/datakit and waits for /v1/ping.
func StartSupervisor(t testing.TB, extra string, inputFiles map[string]string) *Supervisor {
	t.Helper()
	dir := t.TempDir()
	s := &Supervisor{t: t, ConfDir: dir, DataDir: filepath.Join(dir, "data"),
		Addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), client: &http.Client{Timeout: 30 * time.Second}}
	conf := fmt.Sprintf("hostname = \"e2e-host\"\ndata_dir = %q\n%s\n[http_api]\n  listen = %q\n", s.DataDir, extra, s.Addr)
	files := map[string]string{"datakit.conf": conf}
	for name, body := range inputFiles {
		files[name] = body
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	return s
}

// Start starts (or restarts) the supervisor process.
func (s *Supervisor) Start() {
	s.t.Helper()
	s.Proc = testenv.Start(s.t, testenv.Binary(s.t, "datakit"), "run", "--conf-dir", s.ConfDir)
	testenv.Eventually(s.t, 20*time.Second, "datakit to answer /v1/ping", func() bool {
		if s.Proc.Exited() {
			s.t.Fatalf("datakit exited:\n%s", s.Proc.Output())
		}
		resp, err := s.client.Get("http://" + s.Addr + "/v1/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// Post sends body to path with the given headers and returns the status
// and the answer; a transport error gives status 0 and the error text.
func (s *Supervisor) Post(path string, body io.Reader, headers map[string]string) (int, string) {
	req, err := http.NewRequest("POST", "http://"+s.Addr+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Get fetches path and returns the status and the answer.
func (s *Supervisor) Get(path string) (int, string) {
	resp, err := s.client.Get("http://" + s.Addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
