package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"netobs.local/agent/tests/testenv"
)

// leanFlags turn off everything that needs the send/recv hooks.
var leanFlags = []string{"--l7net-enabled=", "--dnsflow=false", "--netflow-udp=false"}

// get sends n keep-alive requests for path on c and reads the responses
// whole, one at a time (so no byte of the next one is read ahead).
func get(t *testing.T, c testenv.CountingConn, path string, n int) {
	t.Helper()
	r := bufio.NewReader(c)
	for range n {
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if r.Buffered() != 0 {
			t.Fatalf("%d bytes beyond the response", r.Buffered())
		}
	}
}

// TestNetflowLean: with no UDP flows, dnsflow or httpflow, no program runs
// on sends and receives, and netflow is still exact: the counters of live
// connections are read by the flush iterator, an accepted connection gets
// its process from the open files, and a connection opened before the
// collector started is tracked with its process, counting only what it
// moved since.
func TestNetflowLean(t *testing.T) {
	n := testenv.StartNginx(t, "")
	n.WriteFile(t, "f1000", 1000)
	worker := strconv.Itoa(n.WorkerPid(t))
	dial := func() testenv.CountingConn {
		c, err := net.Dial("tcp", n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return testenv.NewCountingConn(c)
	}
	before := dial()
	get(t, before, "/f1000", 1)
	before.In.Store(0) // moved before the collector started
	before.Out.Store(0)

	p, out, stop := collectorProc(t, leanFlags...)
	seen := 0
	for _, prog := range testenv.HeldBPF(t, p.Pid()).Progs {
		pr, err := ebpf.NewProgramFromID(prog)
		if err != nil {
			t.Fatalf("program %d of the running collector: %v", prog, err)
		}
		info, err := pr.Info()
		pr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(info.Name, "on_inet_sock_se") && info.Type != ebpf.SocketFilter {
			seen++ // the state-change hook: the check below reads real programs
		}
		if info.Type != ebpf.SocketFilter && strings.HasPrefix(info.Name, "on_sock_") {
			t.Errorf("lean mode loaded %s program %s: something runs on sends or receives", info.Type, info.Name)
		}
	}
	if seen == 0 {
		t.Fatal("the collector holds no state-change program: the programs it holds were not read")
	}
	after := dial()
	get(t, before, "/f1000", 2)
	get(t, after, "/f1000", 3)
	time.Sleep(2500 * time.Millisecond) // two flushes with both connections open
	stop()
	pts := readPoints(t, out)

	port := strconv.Itoa(n.Port)
	written, read := before.Out.Load()+after.Out.Load(), before.In.Load()+after.In.Load()
	for _, c := range []struct {
		side              string
		tags              map[string]string
		written, read, es int64
	}{
		{"client", map[string]string{"pid": strconv.Itoa(os.Getpid()), "direction": "outgoing", "dst_port": port}, written, read, 1},
		{"server", map[string]string{"pid": worker, "process_name": "nginx", "direction": "incoming", "src_port": port}, read, written, 1},
	} {
		w, np := sum(pts, "netflow", "bytes_written", c.tags)
		if np == 0 {
			t.Fatalf("%s: no netflow point with %v; got %v", c.side, c.tags, tagsOf(pts, "server_port", port))
		}
		r, _ := sum(pts, "netflow", "bytes_read", c.tags)
		est, _ := sum(pts, "netflow", "tcp_established", c.tags)
		closed, _ := sum(pts, "netflow", "tcp_closed", c.tags)
		if w != c.written || r != c.read {
			t.Errorf("%s: written %d read %d, want %d and %d (the client's counts since the start)", c.side, w, r, c.written, c.read)
		}
		if est != c.es || closed != 0 {
			t.Errorf("%s: established %d closed %d, want %d and 0 (one opened since the start, none closed)", c.side, est, closed, c.es)
		}
	}
	for _, pt := range pts {
		if pt.name == "netflow" && pt.tags["server_port"] == port && pt.tags["pid"] != worker && pt.tags["direction"] == "incoming" {
			t.Errorf("server side without its process: %v", pt.tags)
		}
	}
}
