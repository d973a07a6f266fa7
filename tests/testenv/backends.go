package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Backend is a time-series database started by a test on a loopback port,
// with its data in a temporary folder that survives Kill and Restart.
type Backend struct {
	t     testing.TB
	URL   string // http://127.0.0.1:PORT
	Proc  *Proc
	start func() *Proc
}

// StartVictoriaMetrics starts Debian's victoria-metrics single node. Its
// deduplication is on (1ms) so a sample delivered twice (at-least-once) is
// counted once, as in a production setup behind a retrying agent.
func StartVictoriaMetrics(t testing.TB) *Backend {
	t.Helper()
	RequireBinaries(t, "victoria-metrics")
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	b := &Backend{t: t, URL: "http://" + addr}
	b.start = func() *Proc {
		p := Start(t, "victoria-metrics", "-storageDataPath", dir, "-httpListenAddr", addr,
			"-retentionPeriod", "100y", "-dedup.minScrapeInterval", "1ms", "-search.latencyOffset", "0s",
			"-loggerLevel", "ERROR", "-memory.allowedBytes", "256MiB")
		b.waitHTTP("/health", 200)
		return p
	}
	b.Proc = b.start()
	return b
}

// StartInfluxDB starts Debian's influxd (1.x) with a generated config; its
// WAL is fsynced on every write, so a SIGKILL loses nothing it answered 204.
func StartInfluxDB(t testing.TB) *Backend {
	t.Helper()
	RequireBinaries(t, "influxd")
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  wal-fsync-delay = "0s"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = %q
  log-enabled = false
[continuous_queries]
  enabled = false
`, FreePort(t), filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), addr)
	path := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &Backend{t: t, URL: "http://" + addr}
	b.start = func() *Proc {
		p := Start(t, "influxd", "-config", path)
		b.waitHTTP("/ping", 204)
		return p
	}
	b.Proc = b.start()
	return b
}

func (b *Backend) waitHTTP(path string, status int) {
	b.t.Helper()
	Eventually(b.t, 30*time.Second, b.URL+path+" to answer", func() bool {
		resp, err := http.Get(b.URL + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == status
	})
}

// Kill sends sig to the backend's pid and waits for it to exit.
func (b *Backend) Kill(sig syscall.Signal) {
	b.t.Helper()
	if err := syscall.Kill(b.Proc.Pid(), sig); err != nil {
		b.t.Fatalf("kill %d: %v", b.Proc.Pid(), err)
	}
	b.Proc.Wait()
}

// Restart starts the backend again on the same address and data.
func (b *Backend) Restart() { b.t.Helper(); b.Proc = b.start() }

// Post sends a form (e.g. an InfluxQL statement to /query) and fails the test
// unless the answer is 2xx; it returns the body.
func (b *Backend) Post(path string, form url.Values) string {
	b.t.Helper()
	resp, err := http.PostForm(b.URL+path, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		b.t.Fatalf("POST %s: %s: %s", path, resp.Status, body)
	}
	return string(body)
}

// Get fetches path and fails the test unless the answer is 2xx.
func (b *Backend) Get(path string) string {
	b.t.Helper()
	resp, err := http.Get(b.URL + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		b.t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	return string(body)
}
