package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// fakeContainer is a cgroup v2 leaf named as Docker's systemd driver names
// it, with Docker's config.v2.json for its id under a test HOST_ROOT: the
// collector sees what it would see of a real Docker container, without a
// container runtime.
type fakeContainer struct {
	id, name, cgroup string
}

// cgroup2Mount is where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup,
// or /sys/fs/cgroup/unified on hybrid hosts), "" when it is not.
func cgroup2Mount(t *testing.T) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// "36 25 0:31 / /sys/fs/cgroup/unified rw,... shared:9 - cgroup2 cgroup2 rw"
		pre, post, ok := strings.Cut(s.Text(), " - ")
		if f := strings.Fields(pre); ok && len(f) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return f[4]
		}
	}
	return ""
}

// newFakeContainers creates one cgroup per name under a test-owned parent
// and a HOST_ROOT naming them; everything goes at cleanup, processes left in
// the cgroups are moved back to the test's own cgroup first.
func newFakeContainers(t *testing.T, names ...string) (hostRoot string, cs []fakeContainer) {
	t.Helper()
	mnt := cgroup2Mount(t)
	if mnt == "" {
		t.Skip("no cgroup v2 hierarchy mounted: cannot put a process in a container-like cgroup")
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	home := mnt
	for _, line := range strings.Split(string(own), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			home = filepath.Join(mnt, p)
		}
	}
	parent := filepath.Join(mnt, fmt.Sprintf("netobs-test-%d-%s", os.Getpid(), randomHex(t, 4)))
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Skipf("cannot create a cgroup under %s: %v", mnt, err)
	}
	hostRoot = t.TempDir()
	t.Cleanup(func() {
		for _, c := range cs {
			procs, _ := os.ReadFile(filepath.Join(c.cgroup, "cgroup.procs"))
			for _, pid := range strings.Fields(string(procs)) {
				os.WriteFile(filepath.Join(home, "cgroup.procs"), []byte(pid), 0o644)
			}
			if err := os.Remove(c.cgroup); err != nil {
				t.Errorf("remove cgroup: %v", err)
			}
		}
		if err := os.Remove(parent); err != nil {
			t.Errorf("remove cgroup: %v", err)
		}
	})
	for _, name := range names {
		c := fakeContainer{id: randomHex(t, 32), name: name}
		c.cgroup = filepath.Join(parent, "docker-"+c.id+".scope")
		if err := os.Mkdir(c.cgroup, 0o755); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
		dir := filepath.Join(hostRoot, "var/lib/docker/containers", c.id)
		cfg := fmt.Sprintf(`{"StreamConfig":{},"State":{"Running":true,"Pid":1},"ID":%q,"Path":"curl",`+
			`"Config":{"Hostname":%q,"Image":"curlimages/curl:8.7.1","Labels":{"org.opencontainers.image.title":"curl"}},`+
			`"Name":"/%s","Driver":"overlay2","RestartCount":0}`, c.id, c.id[:12], name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.v2.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return hostRoot, cs
}

// curl runs curl inside the container's cgroup: the shell moves itself in,
// then execs curl (same pid), so the exec the collector sees is already in
// the container.
func (c fakeContainer) curl(t *testing.T, url string) int {
	t.Helper()
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec curl -s -o /dev/null %s`, c.cgroup, url)
	cmd := exec.Command("sh", "-c", script)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl in %s: %v\n%s", c.name, err, b)
	}
	return cmd.Process.Pid
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// --exclude-container-regex and --include-container-regex match the
// container's NAME from Docker's config.v2.json (found through HOST_ROOT),
// not its id: excluding "web" removes exactly the web container's curl,
// including it keeps only that curl's records.
func TestContainerNameSelection(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "curl", "sh")
	hostRoot, cs := newFakeContainers(t, "netobs-e2e-web", "netobs-e2e-db")
	web, db := cs[0], cs[1]
	t.Setenv("HOST_ROOT", hostRoot) // only ebpf-net runs: no bash binaries or passwd are looked up there
	port, serverPid := httpServer(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	run := func(flag string) (pts []point, webPid, dbPid, hostPid string) {
		out, stop := collector(t, flag, `^netobs-e2e-web$`)
		webPid = strconv.Itoa(web.curl(t, url))
		dbPid = strconv.Itoa(db.curl(t, url))
		host := exec.Command("curl", "-s", "-o", "/dev/null", url)
		if err := host.Run(); err != nil {
			t.Fatalf("curl: %v", err)
		}
		time.Sleep(2500 * time.Millisecond)
		stop()
		return readPoints(t, out), webPid, dbPid, strconv.Itoa(host.Process.Pid)
	}
	outgoing := func(pts []point, pid string) int {
		est, _ := sum(pts, "netflow", "tcp_established", map[string]string{"pid": pid, "direction": "outgoing", "dst_port": strconv.Itoa(port)})
		return int(est)
	}

	t.Run("exclude", func(t *testing.T) {
		pts, webPid, dbPid, hostPid := run("--exclude-container-regex")
		if _, n := sum(pts, "netflow", "bytes_read", map[string]string{"pid": webPid}); n != 0 {
			t.Errorf("the excluded container's curl (pid %s) has %d netflow points", webPid, n)
		}
		for who, pid := range map[string]string{"db container": dbPid, "host": hostPid} {
			if n := outgoing(pts, pid); n != 1 {
				t.Errorf("%s curl (pid %s): %d connections, want 1", who, pid, n)
			}
		}
		if est, _ := sum(pts, "netflow", "tcp_established", map[string]string{"pid": serverPid, "direction": "incoming"}); est != 3 {
			t.Errorf("server: %d connections established, want all 3", est)
		}
	})
	t.Run("include", func(t *testing.T) {
		pts, webPid, _, _ := run("--include-container-regex")
		if n := outgoing(pts, webPid); n != 1 {
			t.Errorf("the included container's curl (pid %s): %d connections, want 1", webPid, n)
		}
		for _, p := range pts {
			if p.name == "netflow" && p.tags["pid"] != webPid {
				t.Errorf("a netflow point of another process: %v", p.tags)
			}
		}
	})
}
