package guest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// exchange is one request the client makes and what it must get.
type exchange struct {
	method, path string
	body, reply  int // request and response body sizes
	status       int
}

// TestNetflowHTTPLoopback runs a Go HTTP server and client in this process
// on a loopback address, one connection per request, and checks the collector's
// netflow (both ends: this pid and comm, bytes equal to what the sockets
// carried, connections established and closed) and httpflow (requests per
// method, path and status on both ends).
func TestNetflowHTTPLoopback(t *testing.T) { netflowHTTPLoopback(t, false) }

// TestNetflowLeanLoopback is the same netflow with no UDP flows, dnsflow
// or httpflow: nothing runs on sends and receives, the flush iterators
// read the counters.
func TestNetflowLeanLoopback(t *testing.T) { netflowHTTPLoopback(t, true) }

func netflowHTTPLoopback(t *testing.T, lean bool) {
	var flags []string
	if lean {
		flags = []string{"--l7net-enabled=", "--dnsflow=false", "--netflow-udp=false"}
	}
	c := startCollector(t, flags...)
	pid, comm := self(t)
	ip, port := serverAddr(t)

	exchanges := []exchange{
		{"GET", "/small", 0, 100, 200},
		{"GET", "/medium", 0, 20000, 200},
		{"GET", "/large", 0, 300000, 200},
		{"POST", "/upload", 5000, 10, 201},
		{"GET", "/missing", 0, 0, 404},
	}
	var srvRead, srvWritten, cliRead, cliWritten, closed atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			for _, e := range exchanges {
				if e.method == r.Method && e.path == r.URL.Path {
					w.Header().Set("Content-Length", strconv.Itoa(e.reply))
					w.WriteHeader(e.status)
					w.Write(bytes.Repeat([]byte("x"), e.reply))
					return
				}
			}
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closed.Add(1)
			}
		},
	}
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(testenv.CountingListener{Listener: l, In: &srvRead, Out: &srvWritten})
	t.Cleanup(func() { srv.Close() })

	dialer := &net.Dialer{}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, // one connection per request: established = closed = len(exchanges)
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return testenv.CountingConn{Conn: conn, In: &cliRead, Out: &cliWritten}, nil
		},
	}}
	for _, e := range exchanges {
		req, _ := http.NewRequest(e.method, fmt.Sprintf("http://%s:%d%s", ip, port, e.path), bytes.NewReader(make([]byte, e.body)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", e.method, e.path, err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != e.status || n != int64(e.reply) {
			t.Fatalf("%s %s: status %d, %d bytes; want %d, %d", e.method, e.path, resp.StatusCode, n, e.status, e.reply)
		}
	}
	testenv.Eventually(t, 10*time.Second, "the server to close every connection", func() bool { return closed.Load() >= int64(len(exchanges)) })
	// The transport writes requests from its own goroutine, whose count
	// may land after the response was read: wait for both ends to agree.
	agree := func() bool { return cliWritten.Load() == srvRead.Load() && cliRead.Load() == srvWritten.Load() }
	for deadline := time.Now().Add(5 * time.Second); !agree() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !agree() {
		t.Fatalf("loopback lost bytes? client wrote %d read %d, server read %d wrote %d",
			cliWritten.Load(), cliRead.Load(), srvRead.Load(), srvWritten.Load())
	}

	sp := strconv.Itoa(port)
	n := int64(len(exchanges))
	sides := []struct {
		name             string
		tags             map[string]string
		written, readden int64
	}{
		{"client", map[string]string{"pid": pid, "process_name": comm, "direction": "outgoing", "transport": "tcp", "dst_port": sp, "src_port": "*"}, cliWritten.Load(), cliRead.Load()},
		{"server", map[string]string{"pid": pid, "process_name": comm, "direction": "incoming", "transport": "tcp", "src_port": sp, "dst_port": "*"}, srvWritten.Load(), srvRead.Load()},
	}
	want := map[string]int64{}
	for _, e := range exchanges {
		want[fmt.Sprintf("%s %s %d", e.method, e.path, e.status)]++
	}
	c.waitFor(15*time.Second, func(pts []testenv.LPPoint) bool {
		for _, s := range sides {
			if closed, _ := sum(pts, "netflow", "tcp_closed", s.tags); closed < n {
				return false
			}
			if got, _ := sum(pts, "httpflow", "count", map[string]string{"server_port": sp, "direction": s.tags["direction"]}); got < n && !lean {
				return false
			}
		}
		return true
	})
	pts := c.stop()

	for _, s := range sides {
		t.Run("netflow/"+s.name, func(t *testing.T) {
			w, np := sum(pts, "netflow", "bytes_written", s.tags)
			if np == 0 {
				t.Fatalf("kernel %s: no netflow point with %v; the points of port %s:%s", kernelName(), s.tags, sp, describe(pts, "netflow", "server_port", sp))
			}
			r, _ := sum(pts, "netflow", "bytes_read", s.tags)
			est, _ := sum(pts, "netflow", "tcp_established", s.tags)
			cl, _ := sum(pts, "netflow", "tcp_closed", s.tags)
			if w != s.written || r != s.readden {
				t.Errorf("kernel %s: written %d read %d, want %d and %d (the sockets' counts)", kernelName(), w, r, s.written, s.readden)
			}
			if est != n || cl != n {
				t.Errorf("kernel %s: tcp_established %d tcp_closed %d, want %d each", kernelName(), est, cl, n)
			}
		})
		if lean {
			if _, np := sum(pts, "httpflow", "count", nil); np != 0 {
				t.Errorf("kernel %s: %d httpflow points with httpflow off", kernelName(), np)
			}
			continue
		}
		t.Run("httpflow/"+s.name, func(t *testing.T) {
			got := map[string]int64{}
			for _, p := range pts {
				if p.Name != "httpflow" || p.Tags["server_port"] != sp || p.Tags["direction"] != s.tags["direction"] {
					continue
				}
				if p.Tags["pid"] != pid || p.Tags["process_name"] != comm {
					t.Errorf("kernel %s: httpflow point with pid %s (%s), want %s (%s)", kernelName(), p.Tags["pid"], p.Tags["process_name"], pid, comm)
				}
				got[fmt.Sprintf("%v %v %d", p.Fields["method"], p.Fields["path"], int64(p.Number("status_code")))] += int64(p.Number("count"))
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("kernel %s: %s counted %d times, want %d (all: %v)", kernelName(), k, got[k], v, got)
				}
			}
			if len(got) != len(want) {
				t.Errorf("kernel %s: requests %v, want %v", kernelName(), got, want)
			}
		})
	}
}
