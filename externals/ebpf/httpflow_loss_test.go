package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// envInt reads a positive integer from the environment (the loss
// benchmark, tests/bench/httpflow_loss.sh, sets them), else def.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// paced sends exactly n GET requests at rate per second over keep-alive
// connections and returns the rate achieved.
func paced(t *testing.T, url string, n, rate, conns int) float64 {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	tokens := make(chan struct{}, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range tokens {
				resp, err := client.Get(url)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		tokens <- struct{}{}
	}
	close(tokens)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d requests failed", f, n)
	}
	return float64(n) / time.Since(start).Seconds()
}

// TestHTTPFlowNoLoss drives exactly N requests at a fixed rate (default
// 10,000 at 5,000/s over 8 keep-alive connections) to nginx and requires
// httpflow to count every one of them on both sides.
func TestHTTPFlowNoLoss(t *testing.T) {
	n := envInt(t, "HTTPFLOW_LOSS_N", 10000)
	rate := envInt(t, "HTTPFLOW_LOSS_RATE", 5000)
	conns := envInt(t, "HTTPFLOW_LOSS_CONNS", 8)
	out, stop := collector(t)
	port, _ := l7Nginx(t)
	achieved := paced(t, fmt.Sprintf("http://127.0.0.1:%d/ok", port), n, rate, conns)

	count := func(pts []point, dir string) (c int64) {
		for _, p := range pts {
			if p.name == "httpflow" && p.tags["server_port"] == strconv.Itoa(port) && p.tags["direction"] == dir && p.strs["path"] == "/ok" {
				c += p.fields["count"]
			}
		}
		return c
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		pts := readPoints(t, out)
		if count(pts, "outgoing") >= int64(n) && count(pts, "incoming") >= int64(n) {
			break
		}
	}
	stop()
	pts := readPoints(t, out)
	drops, _ := sum(pts, "datakit_ebpf", "kernel_drops", map[string]string{"plugin": "ebpf-net"})
	client, server := count(pts, "outgoing"), count(pts, "incoming")
	t.Logf("loss: rate=%d achieved=%.0f requests=%d client=%d server=%d kernel_drops=%d", rate, achieved, n, client, server, drops)
	if client != int64(n) || server != int64(n) {
		t.Errorf("httpflow counted %d (client) and %d (server) of %d requests at %.0f/s", client, server, n, achieved)
	}
	if achieved < 0.9*float64(rate) {
		t.Logf("note: this machine reached only %.0f of %d requests/s", achieved, rate)
	}
}
