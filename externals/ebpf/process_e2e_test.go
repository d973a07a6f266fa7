package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// httpServer serves the current directory on 127.0.0.1 (python3).
func httpServer(t *testing.T) (port int, pid string) {
	t.Helper()
	testenv.RequireBinaries(t, "python3")
	port = testenv.FreePort(t)
	p := testenv.Start(t, "python3", "-m", "http.server", "--bind", "127.0.0.1", strconv.Itoa(port))
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	return port, strconv.Itoa(p.Pid())
}

// A curl of a few milliseconds and a bash that only opens a connection
// (exec 3<>/dev/tcp: dash, Debian's sh, has no /dev/tcp, so bash -c) get
// their executable path and arguments, secrets redacted, with
// --process-args: both are gone from /proc long before the flush.
func TestShortLivedProcessArgs(t *testing.T) {
	testenv.RequireBinaries(t, "curl", "bash")
	port, _ := httpServer(t)
	out, stop := collector(t, "--process-args")
	url := fmt.Sprintf("http://127.0.0.1:%d/short?token=s3cret&x=1", port)
	curl := exec.Command("curl", "-s", "-o", "/dev/null", url)
	start := time.Now()
	if err := curl.Run(); err != nil {
		t.Fatalf("curl: %v", err)
	}
	lived := time.Since(start)
	script := fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", port)
	sh := exec.Command("bash", "-c", script)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("bash: %v\n%s", err, b)
	}
	time.Sleep(2500 * time.Millisecond)
	stop()
	pts := readPoints(t, out)
	for _, c := range []struct {
		pid        int
		path, args string
	}{
		{curl.Process.Pid, "/usr/bin/curl", strings.Replace("-s -o /dev/null "+url, "s3cret", "***", 1)},
		{sh.Process.Pid, "/usr/bin/bash", "-c " + script},
	} {
		tags := map[string]string{"pid": strconv.Itoa(c.pid), "direction": "outgoing", "dst_port": strconv.Itoa(port)}
		est, n := sum(pts, "netflow", "tcp_established", tags)
		if n == 0 || est != 1 {
			t.Fatalf("pid %d: %d points, established %d, want one connection", c.pid, n, est)
		}
		tags["process_path"], tags["process_args"] = c.path, c.args
		if _, n := sum(pts, "netflow", "tcp_established", tags); n == 0 {
			t.Errorf("pid %d: no point with process_path %q and process_args %q; got %v", c.pid, c.path, c.args, tagsOf(pts, "pid", strconv.Itoa(c.pid)))
		}
	}
	// httpflow gets the same process fields from the same stage.
	tags := map[string]string{"pid": strconv.Itoa(curl.Process.Pid), "direction": "outgoing",
		"process_path": "/usr/bin/curl", "process_args": strings.Replace("-s -o /dev/null "+url, "s3cret", "***", 1)}
	if count, _ := sum(pts, "httpflow", "count", tags); count != 1 {
		t.Errorf("curl's httpflow with its process fields: count %d; got %v", count, tagsOf(pts, "pid", strconv.Itoa(curl.Process.Pid)))
	}
	t.Logf("curl lived %v", lived)
}

// --exclude-cmd-regex removes the records of exactly the processes whose
// command line matches, netflow and httpflow alike: the other curl and
// the server stay.
func TestExcludeCmdRegex(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	port, serverPid := httpServer(t)
	out, stop := collector(t, "--exclude-cmd-regex", `netobs-excluded-\d+`)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	excluded := exec.Command("curl", "-s", "-o", "/dev/null", "-H", "X-Marker: netobs-excluded-42", url)
	kept := exec.Command("curl", "-s", "-o", "/dev/null", "-H", "X-Marker: netobs-kept", url)
	for _, c := range []*exec.Cmd{excluded, kept} {
		if err := c.Run(); err != nil {
			t.Fatalf("curl: %v", err)
		}
	}
	time.Sleep(2500 * time.Millisecond)
	stop()
	pts := readPoints(t, out)
	if _, n := sum(pts, "netflow", "bytes_read", map[string]string{"pid": strconv.Itoa(excluded.Process.Pid)}); n != 0 {
		t.Errorf("excluded curl has %d netflow points", n)
	}
	if _, n := sum(pts, "netflow", "bytes_read", map[string]string{"pid": strconv.Itoa(kept.Process.Pid)}); n == 0 {
		t.Error("the other curl has no netflow point")
	}
	// Selection applies to httpflow too, through the same stage.
	if _, n := sum(pts, "httpflow", "count", map[string]string{"pid": strconv.Itoa(excluded.Process.Pid)}); n != 0 {
		t.Errorf("excluded curl has %d httpflow points", n)
	}
	if count, _ := sum(pts, "httpflow", "count", map[string]string{"pid": strconv.Itoa(kept.Process.Pid)}); count != 1 {
		t.Errorf("the other curl: httpflow count %d, want 1", count)
	}
	if est, _ := sum(pts, "netflow", "tcp_established", map[string]string{"pid": serverPid, "direction": "incoming"}); est != 2 {
		t.Errorf("server: %d connections established, want both", est)
	}
}

// tagsOf lists the tags of the points whose tag k is v, for messages.
func tagsOf(pts []point, k, v string) []map[string]string {
	var out []map[string]string
	for _, p := range pts {
		if p.tags[k] == v {
			out = append(out, p.tags)
		}
	}
	return out
}
