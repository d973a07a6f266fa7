package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestSenderSelfMetrics posts to a fake supervisor that refuses the first
// network batch (400: dropped) and fails the second once (503: retried):
// the collector's datakit_ebpf point of plugin=sender reports exactly
// those points dropped, both failed attempts, and what it delivered.
func TestSenderSelfMetrics(t *testing.T) {
	t.Parallel() // its own processes, ports and collector
	testenv.RequireRoot(t)
	var mu sync.Mutex
	var network int
	var refused int // lines of the refused batch
	var metrics bytes.Buffer
	lastError := false
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/v1/lasterror":
			lastError = true
		case r.URL.Path == "/v1/write/network":
			network++
			switch network {
			case 1:
				refused = bytes.Count(b, []byte("\n"))
				http.Error(w, "refused by the test", http.StatusBadRequest)
			case 2:
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		case r.URL.Path == "/v1/write/metric":
			metrics.Write(b)
		}
	}))
	defer api.Close()

	// Traffic of our own every 100 ms, so every interval has netflow points.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	stopTraffic := make(chan struct{})
	defer close(stopTraffic)
	go func() {
		for {
			select {
			case <-stopTraffic:
				return
			case <-time.After(100 * time.Millisecond):
				if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
					c.Close()
				}
			}
		}
	}()

	p := testenv.Start(t, testenv.Binary(t, "datakit-ebpf"), "run", "--interval", "1s",
		"--datakit-apiserver", strings.TrimPrefix(api.URL, "http://"))
	var drops, errs, delivered int64
	var n int
	testenv.Eventually(t, 20*time.Second, "sender self-metrics with the drop and both errors", func() bool {
		mu.Lock()
		b := bytes.Clone(metrics.Bytes())
		mu.Unlock()
		pts := parsePoints(t, b)
		sender := map[string]string{"plugin": "sender"}
		drops, n = sum(pts, "datakit_ebpf", "send_drops", sender)
		errs, _ = sum(pts, "datakit_ebpf", "send_errors", sender)
		delivered, _ = sum(pts, "datakit_ebpf", "points", sender)
		return (errs >= 2 && drops > 0 && delivered > 0) || p.Exited()
	})
	p.Stop(10 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if err := p.Wait(); err != nil {
		t.Fatalf("collector: %v\n%s", err, p.Output())
	}
	if drops != int64(refused) || errs != 2 || delivered == 0 || !lastError {
		t.Fatalf("%d sender points: send_drops %d (want %d, the refused batch), send_errors %d (want 2), points %d (want > 0), lasterror posted %v",
			n, drops, refused, errs, delivered, lastError)
	}
}
