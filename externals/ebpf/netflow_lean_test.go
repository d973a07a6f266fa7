package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"netobs.local/agent/externals/ebpf/features"
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
// moved since, up to its close.
//
// It runs once per way of reading the counters at the flush: the BPF
// iterators where the collector's own probe says the kernel loads them,
// and the socket diagnostics, forced by refusing the iterators as some
// kernels do (on those, both subtests take that way).
func TestNetflowLean(t *testing.T) { eachFlushWay(t, testNetflowLean) }

// eachFlushWay runs test once per way the lean mode reads TCP counters at
// the flush, with the word the collector logs for the way it took.
func eachFlushWay(t *testing.T, test func(t *testing.T, way string)) {
	t.Run("iterators", func(t *testing.T) {
		if st := (features.Hook{Kind: features.KindIter, Target: "bpf_map_elem"}).Probe(); !st.On {
			t.Skipf("the kernel refuses BPF iterators: %s", st.Reason)
		}
		test(t, "via iter")
	})
	t.Run("socket diagnostics", func(t *testing.T) {
		t.Setenv(features.RefuseEnv, string(features.KindIter))
		test(t, "via sock_diag")
	})
}

// TestNetflowLeanCurl: a curl download slowed down to span several
// flushes is counted at each of them, from the live counters, and the
// interval's sums equal curl's own counts on both ends.
func TestNetflowLeanCurl(t *testing.T) {
	eachFlushWay(t, func(t *testing.T, way string) {
		testenv.RequireBinaries(t, "curl")
		n := testenv.StartNginx(t, "limit_rate 100k;") // the server sends slowly: a receiver's limit is absorbed by its buffer
		n.WriteFile(t, "f200000", 200000)
		port, worker := n.Port, n.WorkerPid(t)
		p, out, stop := collectorProc(t, leanFlags...)
		cmd := exec.Command("curl", "-s", "-o", "/dev/null",
			"-w", "%{size_request} %{size_header} %{size_download}", fmt.Sprintf("http://127.0.0.1:%d/f200000", port))
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		var req, hdr, body int64
		fmt.Sscan(string(b), &req, &hdr, &body)
		time.Sleep(1500 * time.Millisecond) // a flush after the close
		stop()
		if !strings.Contains(p.Output(), way) {
			t.Errorf("the collector did not count TCP at the flush %s", way)
		}
		pts := readPoints(t, out)
		sp := strconv.Itoa(port)
		for _, c := range []struct {
			side          string
			tags          map[string]string
			written, read int64
		}{
			{"client", map[string]string{"pid": strconv.Itoa(cmd.Process.Pid), "direction": "outgoing", "dst_port": sp}, req, hdr + body},
			{"server", map[string]string{"pid": strconv.Itoa(worker), "direction": "incoming", "src_port": sp}, hdr + body, req},
		} {
			w, np := sum(pts, "netflow", "bytes_written", c.tags)
			r, _ := sum(pts, "netflow", "bytes_read", c.tags)
			if w != c.written || r != c.read {
				t.Errorf("%s: written %d read %d, want %d and %d (curl's counts)", c.side, w, r, c.written, c.read)
			}
			if np < 2 {
				t.Errorf("%s: %d netflow points, want one a flush while the 2 s download ran", c.side, np)
			}
		}
	})
}

// testNetflowLean checks one way, which the collector must report taking.
func testNetflowLean(t *testing.T, way string) {
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
	before, closing := dial(), dial()
	for _, c := range []testenv.CountingConn{before, closing} {
		get(t, c, "/f1000", 1)
		c.In.Store(0) // moved before the collector started
		c.Out.Store(0)
	}

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
	get(t, closing, "/f1000", 1) // and closed: its last bytes come with its close
	closing.Close()
	time.Sleep(2500 * time.Millisecond) // two flushes with the others open
	stop()
	if !strings.Contains(p.Output(), way) {
		t.Errorf("the collector did not count TCP at the flush %s:\n%s", way, p.Output())
	}
	pts := readPoints(t, out)

	port := strconv.Itoa(n.Port)
	written := before.Out.Load() + after.Out.Load() + closing.Out.Load()
	read := before.In.Load() + after.In.Load() + closing.In.Load()
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
		if est != c.es || closed != 1 {
			t.Errorf("%s: established %d closed %d, want %d and 1 (one opened since the start, one older closed)", c.side, est, closed, c.es)
		}
	}
	for _, pt := range pts {
		if pt.name == "netflow" && pt.tags["server_port"] == port && pt.tags["pid"] != worker && pt.tags["direction"] == "incoming" {
			t.Errorf("server side without its process: %v", pt.tags)
		}
	}
}
