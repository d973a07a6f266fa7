package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7/httpparse"
	"netobs.local/agent/tests/testenv"
)

// httpTruth is what the clients did: requests per "METHOD /path status",
// and the longest time a client measured for each path (ns), which bounds
// the latency (TTFB) of both sides.
type httpTruth struct {
	count   map[string]int64
	maxTime map[string]int64
	pids    map[string]bool // client pids
	// keepAlive: curl's transfers after the first must reuse its
	// connection (not so against HTTP/1.0 servers).
	keepAlive bool
	// version is the http_version every point must carry ("" is 1.1).
	version string
}

func newTruth() *httpTruth {
	return &httpTruth{count: map[string]int64{}, maxTime: map[string]int64{}, pids: map[string]bool{}}
}

// add records one transfer as httpflow reports it: a method outside the
// known set as OTHER, the path without its parameters (the query is not
// in it already).
func (h *httpTruth) add(method, path string, status int, took time.Duration) {
	if !slices.Contains(httpparse.Methods[:], method) {
		method = httpparse.MethodOther
	}
	path, _, _ = strings.Cut(path, ";")
	h.count[fmt.Sprintf("%s %s %d", method, path, status)]++
	h.maxTime[path] = max(h.maxTime[path], int64(took))
}

func (h *httpTruth) total() (n int64) {
	for _, c := range h.count {
		n += c
	}
	return n
}

// curl runs one curl process for the URLs (one connection, keep-alive
// between them) and records every transfer as curl reports it.
func (h *httpTruth) curl(t *testing.T, extra []string, urls ...string) {
	t.Helper()
	args := append([]string{"-s", "-w", "%{method} %{url_effective} %{http_code} %{time_total} %{num_connects}\\n"}, extra...)
	for _, u := range urls {
		args = append(args, "-o", "/dev/null", u) // -o applies to one URL
	}
	cmd := exec.Command("curl", args...)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.pids[strconv.Itoa(cmd.Process.Pid)] = true
	if err := cmd.Wait(); err != nil {
		t.Fatalf("curl %v: %v", urls, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(urls) {
		t.Fatalf("curl %v: %d transfers reported:\n%s", urls, len(lines), out.String())
	}
	for i, l := range lines {
		f := strings.Fields(l)
		u, _ := url.Parse(f[1])
		status, _ := strconv.Atoi(f[2])
		secs, _ := strconv.ParseFloat(f[3], 64)
		if h.keepAlive && i > 0 && f[4] != "0" {
			t.Fatalf("curl %v: transfer %d opened a new connection, want keep-alive", urls, i+1)
		}
		h.add(f[0], u.Path, status, time.Duration(secs*float64(time.Second)))
	}
}

// pipelined writes every request in one write on one connection (from
// this test process) and reads the responses in order.
func (h *httpTruth) pipelined(t *testing.T, addr string, paths ...string) {
	t.Helper()
	h.pipelinedSep(t, addr, "", paths...)
}

// pipelinedSep is pipelined with sep (empty lines, RFC 9112 section 2.2)
// before each request.
func (h *httpTruth) pipelinedSep(t *testing.T, addr, sep string, paths ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var reqs strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&reqs, "%sGET %s HTTP/1.1\r\nHost: test\r\nUser-Agent: pipeline\r\n\r\n", sep, p)
	}
	start := time.Now()
	if _, err := io.WriteString(c, reqs.String()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for _, p := range paths {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("pipelined %s: %v", p, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		h.add("GET", p, resp.StatusCode, time.Since(start))
	}
	h.pids[strconv.Itoa(os.Getpid())] = true
}

// l7Nginx serves known statuses and a 1 MiB file on 127.0.0.1.
func l7Nginx(t *testing.T) (port int, workerPid string) {
	t.Helper()
	n := testenv.StartNginx(t, `
    location = /ok { return 200 "ok\n"; }
    location = /moved { return 301 /ok; }
    location = /fail { return 500; }
    location = /echo { return 200 "echo\n"; }`)
	n.WriteFile(t, "big", 1<<20)
	return n.Port, strconv.Itoa(n.WorkerPid(t))
}

// checkHTTPFlow waits until both sides of every request to serverPort are
// reported, stops the collector and compares with the truth exactly.
func checkHTTPFlow(t *testing.T, out string, stop func(), serverPort int, serverPid string, h *httpTruth) []point {
	t.Helper()
	port := strconv.Itoa(serverPort)
	side := func(pts []point, dir string) int64 {
		n, _ := sum(pts, "httpflow", "count", map[string]string{"server_port": port, "direction": dir})
		return n
	}
	testenv.Eventually(t, 20*time.Second, "httpflow of both sides", func() bool {
		pts := readPoints(t, out)
		return side(pts, "outgoing") >= h.total() && side(pts, "incoming") >= h.total()
	})
	stop()
	pts := readPoints(t, out)
	serverComm := comm(t, serverPid)
	for _, dir := range []string{"outgoing", "incoming"} {
		got := map[string]int64{}
		for _, p := range pts {
			if p.name != "httpflow" || p.tags["server_port"] != port || p.tags["direction"] != dir {
				continue
			}
			key := fmt.Sprintf("%s %s %d", p.strs["method"], p.strs["path"], p.fields["status_code"])
			got[key] += p.fields["count"]
			lat, bound := p.fields["latency"], h.maxTime[p.strs["path"]]
			if lat <= 0 || lat > bound {
				t.Errorf("%s %s: latency %d ns, want > 0 and <= the client's %d ns", dir, key, lat, bound)
			}
			if v := cmp.Or(h.version, "1.1"); p.strs["http_version"] != v {
				t.Errorf("%s %s: http_version %q", dir, key, p.strs["http_version"])
			}
			if dir == "outgoing" && !h.pids[p.tags["pid"]] {
				t.Errorf("outgoing %s from pid %s (%s), not a client", key, p.tags["pid"], p.tags["process_name"])
			}
			if dir == "incoming" && (p.tags["pid"] != serverPid || p.tags["process_name"] != serverComm) {
				t.Errorf("incoming %s: pid %s %s, want %s %s", key, p.tags["pid"], p.tags["process_name"], serverPid, serverComm)
			}
		}
		for k, n := range h.count {
			if got[k] != n {
				t.Errorf("%s %s: count %d, want %d", dir, k, got[k], n)
			}
		}
		for k, n := range got {
			if h.count[k] == 0 {
				t.Errorf("%s %s: count %d, never requested", dir, k, n)
			}
		}
	}
	return pts
}

func comm(t *testing.T, pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestHTTPFlowNginx: one request per connection, keep-alive, pipelining,
// a POST with a body and a 1 MiB response, with every status of the seed's
// examples; counts, methods, paths and statuses equal to what the clients
// did, on the client and the server side.
func TestHTTPFlowNginx(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	out, stop := collector(t)
	port, worker := l7Nginx(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	h := newTruth()
	h.keepAlive = true
	for _, p := range []string{"/ok?q=1", "/moved", "/missing", "/fail"} {
		for range 2 {
			h.curl(t, nil, base+p)
		}
	}
	h.curl(t, nil, base+"/ok", base+"/moved", base+"/missing", base+"/ok", base+"/fail") // nginx closes after a 500
	h.pipelined(t, fmt.Sprintf("127.0.0.1:%d", port), "/ok", "/missing", "/fail")
	h.curl(t, []string{"--data-binary", strings.Repeat("p", 3000)}, base+"/echo")
	h.curl(t, nil, base+"/big")

	pts := checkHTTPFlow(t, out, stop, port, worker, h)
	read, _ := sum(pts, "httpflow", "bytes_read", map[string]string{"direction": "outgoing", "server_port": strconv.Itoa(port)})
	if read < 1<<20 {
		t.Errorf("clients read %d bytes, want at least the 1 MiB file", read)
	}
}

// TestHTTPFlowPython: a second server, python's http.server (HTTP/1.0
// responses that close the connection).
func TestHTTPFlowPython(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	out, stop := collector(t)
	port, pid := httpServer(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	h := newTruth()
	h.curl(t, nil, base+"/")
	h.curl(t, nil, base+"/", base+"/nope?x=y")
	h.curl(t, []string{"-I"}, base+"/")
	checkHTTPFlow(t, out, stop, port, pid, h)
}

// TestHTTPFlowEdges: the edges of issues 14 and 15 from real clients to
// nginx, on both sides: WebDAV and unknown methods (reported as OTHER),
// path parameters that carry a session (stripped), and pipelined requests
// each after an empty line. No point carries the secret.
func TestHTTPFlowEdges(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	out, stop := collector(t)
	n := testenv.StartNginx(t, `
    location /dav { return 207 "dav\n"; }
    location /a { return 200 "a\n"; }`)
	base := fmt.Sprintf("http://127.0.0.1:%d", n.Port)
	h := newTruth()
	h.keepAlive = true
	h.curl(t, []string{"-X", "PROPFIND"}, base+"/dav;jsessionid=SECRET", base+"/dav")
	h.curl(t, []string{"-X", "BREW"}, base+"/a;sid=SECRET?x=1")
	h.curl(t, []string{"-X", "PURGE"}, base+"/a")
	h.pipelinedSep(t, fmt.Sprintf("127.0.0.1:%d", n.Port), "\r\n", "/a;jsessionid=SECRET", "/dav", "/a")
	pts := checkHTTPFlow(t, out, stop, n.Port, strconv.Itoa(n.WorkerPid(t)), h)
	for _, p := range pts {
		if strings.Contains(fmt.Sprint(p), "SECRET") {
			t.Errorf("point carries the secret: %v", p)
		}
	}
}
