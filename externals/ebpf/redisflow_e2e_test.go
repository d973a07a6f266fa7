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

// startRedis runs redis-server on a free loopback port, without
// persistence, and returns the port and its pid.
func startRedis(t *testing.T) (port int, pid string) {
	t.Helper()
	testenv.RequireBinaries(t, "redis-server", "redis-cli", "redis-benchmark")
	port = testenv.FreePort(t)
	p := testenv.Start(t, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	return port, strconv.Itoa(p.Pid())
}

// redisCLI runs one redis-cli process (one connection, one command) and
// returns its pid and output.
func redisCLI(t *testing.T, port int, args ...string) (pid, out string) {
	t.Helper()
	cmd := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, b)
	}
	return strconv.Itoa(cmd.Process.Pid), string(b)
}

// commandStats reads the server's own counts, INFO commandstats and
// errorstats, as redisflow names them: "COMMAND ERROR" → count (the
// subcommands of config|get and the like are their command's).
func commandStats(t *testing.T, port int) (calls map[string]int64, errors map[string]int64) {
	t.Helper()
	_, out := redisCLI(t, port, "INFO", "commandstats")
	_, errOut := redisCLI(t, port, "INFO", "errorstats")
	calls, errors = map[string]int64{}, map[string]int64{}
	num := func(s, key string) int64 {
		for _, kv := range strings.Split(s, ",") {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		return 0
	}
	for _, line := range strings.Split(out, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		name, _, _ = strings.Cut(strings.ToUpper(strings.TrimPrefix(name, "cmdstat_")), "|")
		calls[name] += num(rest, "calls") + num(rest, "rejected_calls")
	}
	for _, line := range strings.Split(errOut, "\n") {
		if name, rest, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(name, "errorstat_") {
			errors[strings.TrimPrefix(name, "errorstat_")] += num(rest, "count")
		}
	}
	return calls, errors
}

// TestRedisFlow drives redis-server 7 with redis-cli (RESP2 and, with -3,
// RESP3: HELLO and a map reply), error replies (WRONGTYPE, ERR, an AUTH
// without a password set) and redis-benchmark, pipelined 16 deep over 4
// connections. Both sides' redisflow counts per command and error equal
// the server's own INFO commandstats and errorstats; no point carries a
// key, a value or the password.
func TestRedisFlow(t *testing.T) {
	port, serverPid := startRedis(t)
	out, stop := collector(t, "--l7net-enabled", "redis", "--l7-capture-bytes", "4096")
	clients := map[string]bool{}
	run := func(args ...string) string {
		pid, o := redisCLI(t, port, args...)
		clients[pid] = true
		return o
	}
	run("SET", "greeting", "SECRETVALUE")
	run("GET", "greeting")
	run("LPUSH", "list", "SECRETVALUE")
	if o := run("GET", "list"); !strings.Contains(o, "WRONGTYPE") {
		t.Fatalf("GET of a list: %q", o)
	}
	if o := run("INCR", "greeting"); !strings.Contains(o, "ERR") {
		t.Fatalf("INCR of a string: %q", o)
	}
	run("AUTH", "SECRETPASSWORD") // ERR: no password is set
	run("-3", "HSET", "h", "f", "SECRETVALUE")
	run("-3", "HGETALL", "h")
	const n, pipeline = 2000, 16
	bench := exec.Command("redis-benchmark", "-p", strconv.Itoa(port), "-q", "-n", strconv.Itoa(n), "-c", "4",
		"-P", strconv.Itoa(pipeline), "-t", "set,get", "-d", "8")
	if b, err := bench.CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, b)
	}
	clients[strconv.Itoa(bench.Process.Pid)] = true

	calls, errs := commandStats(t, port)
	if calls["SET"] < n+1 || calls["GET"] < n+2 {
		t.Fatalf("the server counted %v", calls)
	}
	// The truth: every command the server counted before the two INFO
	// calls above (an INFO's own call is counted after its reply).
	var total int64
	for _, c := range calls {
		total += c
	}
	ps := strconv.Itoa(port)
	side := func(dir string) int64 {
		c, _ := sum(readPoints(t, out), "redisflow", "count", map[string]string{"server_port": ps, "direction": dir})
		return c
	}
	defer func() {
		if t.Failed() {
			for _, p := range readPoints(t, out) {
				if p.name == "redisflow" {
					t.Logf("%s %s %s %v", p.tags["direction"], p.tags["pid"], p.strs, p.fields)
				}
			}
		}
	}()
	testenv.Eventually(t, 20*time.Second, "redisflow of both sides", func() bool {
		return side("outgoing") >= total+2 && side("incoming") >= total+2 // + the two INFO calls
	})
	stop()
	pts := readPoints(t, out)
	serverComm := comm(t, serverPid)
	for _, dir := range []string{"outgoing", "incoming"} {
		got, gotErr := map[string]int64{}, map[string]int64{}
		for _, p := range pts {
			if p.name != "redisflow" || p.tags["server_port"] != ps || p.tags["direction"] != dir {
				continue
			}
			if strings.Contains(fmt.Sprint(p), "SECRET") {
				t.Errorf("point carries a secret: %v", p)
			}
			cmd, e := p.strs["command"], p.strs["error"]
			got[cmd] += p.fields["count"]
			if e != "" {
				gotErr[e] += p.fields["count"]
				if p.fields["errors"] != p.fields["count"] {
					t.Errorf("%s %s %s: errors %d of %d", dir, cmd, e, p.fields["errors"], p.fields["count"])
				}
			}
			if lat, mx := p.fields["latency"], p.fields["latency_max"]; lat <= 0 || mx < lat || mx > int64(10*time.Second) {
				t.Errorf("%s %s: latency %d max %d", dir, cmd, lat, mx)
			}
			if p.fields["bytes_read"] <= 0 || p.fields["bytes_written"] <= 0 {
				t.Errorf("%s %s: read %d written %d", dir, cmd, p.fields["bytes_read"], p.fields["bytes_written"])
			}
			if dir == "incoming" && (p.tags["pid"] != serverPid || p.tags["process_name"] != serverComm) {
				t.Errorf("incoming %s: pid %s %s, want %s %s", cmd, p.tags["pid"], p.tags["process_name"], serverPid, serverComm)
			}
		}
		got["INFO"] -= 2
		for c, want := range calls {
			if got[c] != want {
				t.Errorf("%s %s: count %d, the server counted %d", dir, c, got[c], want)
			}
		}
		for c, g := range got {
			if _, ok := calls[c]; !ok && g != 0 {
				t.Errorf("%s %s: count %d, the server counted none", dir, c, g)
			}
		}
		for e, want := range errs {
			if gotErr[e] != want {
				t.Errorf("%s error %s: count %d, the server counted %d", dir, e, gotErr[e], want)
			}
		}
		if gotErr["WRONGTYPE"] != 1 || gotErr["ERR"] != 2 {
			t.Errorf("%s errors %v, want WRONGTYPE 1 and ERR 2", dir, gotErr)
		}
	}
}
