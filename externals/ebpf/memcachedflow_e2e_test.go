package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestMemcachedFlow drives memcached (run as root on a loopback port)
// from a small client in this process: sets and gets, one at a time and
// pipelined, a miss, a delete, noreply sets (no answer, not counted), an
// incr of a non-number (CLIENT_ERROR) and an unknown command (ERROR).
// Both sides' memcachedflow counts per command and error equal the
// client's; no point carries a key or a value.
func TestMemcachedFlow(t *testing.T) {
	testenv.RequireBinaries(t, "memcached")
	port := testenv.FreePort(t)
	srv := testenv.Start(t, "memcached", "-u", "root", "-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.WaitPort(t, addr, 10*time.Second)
	out, stop := collector(t, "--l7net-enabled", "memcached", "--l7-capture-bytes", "4096")

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	want := map[string]int64{}
	ask := func(req string, lines int, key string) {
		t.Helper()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		for range lines {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		want[key]++
	}
	for i := range 10 {
		ask(fmt.Sprintf("set SECRETKEY%d 0 0 11\r\nSECRETVALUE\r\n", i), 1, "set ")
		ask(fmt.Sprintf("get SECRETKEY%d\r\n", i), 3, "get ")
	}
	ask("get SECRETMISSING\r\n", 1, "get ")
	ask("delete SECRETKEY0\r\n", 1, "delete ")
	c.Write([]byte("set SECRETNR 0 0 2 noreply\r\nxx\r\n"))
	ask("get SECRETKEY1 SECRETKEY2\r\n", 5, "get ")
	ask("incr SECRETKEY1 1\r\n", 1, "incr CLIENT_ERROR")
	ask("bogus\r\n", 1, "OTHER ERROR")
	// Pipelined: three gets in one write.
	ask("get SECRETKEY3\r\nget SECRETKEY4\r\nget SECRETKEY5\r\n", 9, "get ")
	want["get "] += 2
	ask("stats\r\n", 0, "stats ")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "END\r\n" {
			break
		}
	}
	c.Close()
	var total int64
	for _, n := range want {
		total += n
	}
	ps := strconv.Itoa(port)
	side := func(dir string) int64 {
		n, _ := sum(readPoints(t, out), "memcachedflow", "count", map[string]string{"server_port": ps, "direction": dir})
		return n
	}
	defer func() {
		if t.Failed() {
			for _, p := range readPoints(t, out) {
				if p.name == "memcachedflow" {
					t.Logf("%s %s %v %v", p.tags["direction"], p.tags["process_name"], p.strs, p.fields)
				}
			}
		}
	}()
	testenv.Eventually(t, 20*time.Second, "memcachedflow of both sides", func() bool {
		return side("outgoing") >= total && side("incoming") >= total
	})
	stop()
	for _, dir := range []string{"outgoing", "incoming"} {
		got := map[string]int64{}
		for _, p := range readPoints(t, out) {
			if p.name != "memcachedflow" || p.tags["server_port"] != ps || p.tags["direction"] != dir {
				continue
			}
			if strings.Contains(fmt.Sprint(p), "SECRET") {
				t.Errorf("point carries a key or value: %v", p)
			}
			got[p.strs["command"]+" "+p.strs["error"]] += p.fields["count"]
			if dir == "outgoing" && p.tags["pid"] != strconv.Itoa(os.Getpid()) || dir == "incoming" && p.tags["pid"] != strconv.Itoa(srv.Pid()) {
				t.Errorf("%s from pid %s", dir, p.tags["pid"])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", dir, got, want)
		}
	}
}
