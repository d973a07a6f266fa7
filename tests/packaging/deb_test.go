package packaging

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(sandboxEnv); spec != "" {
		runSandbox(spec)
	}
	os.Exit(m.Run())
}

const unitPath = "/lib/systemd/system/datakit.service"

// buildDeb runs `make package` into a folder of the test's and returns the
// .deb's path.
func buildDeb(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command("make", "-s", "package", "BIN="+bin, "VERSION=v0.1.0-3-gabcdef0")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(bin, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make package wrote %q, want one .deb", debs)
	}
	return debs[0]
}

// TestDebPackage builds the .deb, checks its control data, installs it with
// dpkg into a scratch root, runs check-config and the unit's ExecStart there
// under the unit's settings, posts a real write through the API, and purges.
func TestDebPackage(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "dpkg", "dpkg-deb", "make")
	deb := buildDeb(t)
	if !strings.HasSuffix(deb, "datakit_0.1.0+3.gabcdef0_"+goarch(t)+".deb") {
		t.Errorf("package file %s: the version is not the tag's", deb)
	}
	info := testenv.Run(t, "dpkg-deb", "-f", deb, "Package", "Version", "Depends")
	for _, want := range []string{"Package: datakit", "Version: 0.1.0+3.gabcdef0", "Depends: procps"} {
		if !strings.Contains(info, want) {
			t.Errorf("control lacks %q:\n%s", want, info)
		}
	}
	ctl := t.TempDir()
	testenv.Run(t, "dpkg-deb", "-e", deb, ctl)
	conffiles, _ := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if string(conffiles) != "/usr/local/datakit/conf.d/datakit.conf\n/usr/local/datakit/conf.d/ebpf.conf\n" {
		t.Errorf("conffiles = %q", conffiles)
	}
	listing := testenv.Run(t, "dpkg-deb", "-c", deb)
	for _, want := range []string{"-rwxr-xr-x root/root .* ./usr/local/datakit/datakit$", "-rwxr-xr-x root/root .* ./usr/local/datakit/externals/datakit-ebpf$",
		"-rw-r--r-- root/root .* ./lib/systemd/system/datakit.service$", "./usr/local/datakit/conf.d/samples/ebpf.conf.sample$"} {
		if !regexp.MustCompile("(?m)" + want).MatchString(listing) {
			t.Errorf("contents lack %s:\n%s", want, listing)
		}
	}

	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var/lib/dpkg/info"), 0o755)
	os.MkdirAll(filepath.Join(root, "var/lib/dpkg/updates"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	// procps, the dependency, is not in the empty root: provide its
	// /bin/kill as it would, and let dpkg skip the dependency check.
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	copyFile(t, "/bin/kill", filepath.Join(root, "bin/kill"))
	dpkg := func(args ...string) string {
		return testenv.Run(t, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null"}, args...)...)
	}
	out := dpkg("-i", deb)
	if !strings.Contains(out, "systemd is not running") {
		t.Errorf("postinst into another root must leave systemd alone and say how to start datakit:\n%s", out)
	}
	for _, d := range []string{"usr/local/datakit/conf.d", "usr/local/datakit/data"} {
		if st, err := os.Stat(filepath.Join(root, d)); err != nil || st.Mode().Perm() != 0o750 {
			t.Errorf("postinst did not create %s 0750: %v", d, err)
		}
	}
	unit, err := ParseUnit(filepath.Join(root, unitPath))
	if err != nil {
		t.Fatal(err)
	}
	verifyUnit(t, root)

	// check-config on the installed configuration, under the unit's settings.
	cmd, err := SandboxCommand(unit, root, nil, "/usr/local/datakit/datakit", "check-config", "--conf-dir", "/usr/local/datakit/conf.d")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("check-config on the installed conf.d: %v\n%s", err, b)
	}

	// The bounding set keeps every hook: each probe that is on with this
	// test's privileges is on under the unit's.
	cmd, err = SandboxCommand(unit, root, nil, "/usr/local/datakit/externals/datakit-ebpf", "features")
	if err != nil {
		t.Fatal(err)
	}
	boxed, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("datakit-ebpf features under the unit: %v\n%s", err, boxed)
	}
	free := testenv.Run(t, filepath.Join(root, "usr/local/datakit/externals/datakit-ebpf"), "features")
	boxedOn := onProbes(string(boxed))
	for probe := range onProbes(free) {
		if !boxedOn[probe] {
			t.Errorf("%q is on for root but off under the unit's settings:\n%s", probe, boxed)
		}
	}

	// The service: ExecStart as systemd would run it, on a free port (the
	// drop-in a user would write for ENV_HTTP_LISTEN).
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cmd, err = SandboxCommand(unit, root, []string{"ENV_HTTP_LISTEN=" + addr})
	if err != nil {
		t.Fatal(err)
	}
	svc := testenv.StartCmd(t, cmd)
	client := &http.Client{Timeout: 10 * time.Second}
	testenv.Eventually(t, 30*time.Second, "the installed datakit to answer /v1/ping", func() bool {
		if svc.Exited() {
			t.Fatalf("the service exited:\n%s", svc.Output())
		}
		resp, err := client.Get("http://" + addr + "/v1/ping")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	resp, err := client.Post("http://"+addr+"/v1/write/metric", "text/plain", strings.NewReader("pkgtest,unit=datakit v=42i\n"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("write: %v %v", err, resp)
	}
	resp.Body.Close()
	data := filepath.Join(root, "usr/local/datakit/data/local/metric")
	testenv.Eventually(t, 20*time.Second, "the write in the installed data_dir's local output", func() bool {
		return len(testenv.LPFileSamples(t, data, "pkgtest", "v")) > 0
	})

	// Both processes run with the unit's bounding set, and the collector
	// is up (it is the default conf.d's ebpf input).
	// (This host's own bounding set may lack some: the sandbox can only drop.)
	want := capMask(mustCaps(t, unit)) & capLine(t, os.Getpid(), "CapBnd")
	var collector int
	testenv.Eventually(t, 30*time.Second, "datakit-ebpf to run under the installed datakit", func() bool {
		for _, pid := range testenv.Children(t, svc.Pid()) {
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); strings.HasSuffix(exe, "/externals/datakit-ebpf") {
				collector = pid
			}
		}
		return collector != 0
	})
	for _, pid := range []int{svc.Pid(), collector} {
		if bnd, eff := capLine(t, pid, "CapBnd"), capLine(t, pid, "CapEff"); bnd != want || eff&^want != 0 {
			t.Errorf("pid %d: CapBnd %x CapEff %x, want the unit's %x", pid, bnd, eff, want)
		}
	}
	held := testenv.HeldBPF(t, collector)
	time.Sleep(3 * time.Second)
	if svc.Exited() || !alive(collector) {
		t.Fatalf("the service or its collector died under the unit's settings:\n%s", svc.Output())
	}
	// KillMode=mixed: SIGTERM to datakit alone, which stops the collector.
	svc.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { svc.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // TimeoutStopSec
		t.Fatalf("the service did not stop within TimeoutStopSec:\n%s", svc.Output())
	}
	testenv.AssertBPFReleased(t, held)

	dpkg("-P", "datakit")
	for _, p := range []string{"usr/local/datakit/datakit", "usr/local/datakit/conf.d/datakit.conf", unitPath[1:], "usr/local/datakit/data"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s is left after purge", p)
		}
	}
}

// TestDebScriptsSystemd runs the maintainer scripts as dpkg runs them on a
// host where systemd is PID 1, in a mount namespace that shows
// /run/systemd/system and puts a recording systemctl first on PATH; then
// on a host without systemd, where they must not call it.
func TestDebScriptsSystemd(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "dpkg-deb", "unshare", "make")
	ctl := t.TempDir()
	testenv.Run(t, "dpkg-deb", "-e", buildDeb(t), ctl)
	fake := t.TempDir()
	log := filepath.Join(fake, "calls")
	os.WriteFile(filepath.Join(fake, "systemctl"), []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755)
	run := func(systemd bool, script string, args ...string) string {
		os.Remove(log)
		setup := "mount -t tmpfs tmpfs /usr/local && mount -t tmpfs tmpfs /run"
		if systemd {
			setup += " && mkdir -p /run/systemd/system"
		}
		sh := setup + " && PATH=" + fake + ":$PATH \"$@\""
		cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-ec", sh, "sh", filepath.Join(ctl, script)}, args...)...)
		cmd.Env = append(os.Environ(), "DPKG_ROOT=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", script, args, err, out)
		}
		b, _ := os.ReadFile(log)
		return string(b)
	}
	cases := []struct {
		systemd bool
		script  string
		args    []string
		calls   string
	}{
		{true, "postinst", []string{"configure", ""}, "daemon-reload\nenable datakit.service\nrestart datakit.service\n"},
		{true, "prerm", []string{"upgrade", "0.2.0"}, "stop datakit.service\n"},
		{true, "prerm", []string{"remove"}, "stop datakit.service\ndisable datakit.service\n"},
		{true, "postrm", []string{"remove"}, "daemon-reload\n"},
		{false, "postinst", []string{"configure", ""}, ""},
		{false, "prerm", []string{"remove"}, ""},
		{false, "postrm", []string{"purge"}, ""},
	}
	for _, c := range cases {
		if got := run(c.systemd, c.script, c.args...); got != c.calls {
			t.Errorf("systemd=%v %s %v: systemctl calls %q, want %q", c.systemd, c.script, c.args, got, c.calls)
		}
	}
}

// verifyUnit runs `systemd-analyze verify` on the installed unit and logs
// its `security` exposure, failing if it rises above the documented 6.1.
func verifyUnit(t *testing.T, root string) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not installed (tests/deps/packaging.txt): unit not verified")
		return
	}
	if out, err := exec.Command("systemd-analyze", "verify", "--root="+root, "--recursive-errors=no", unitPath).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, _ := exec.Command("systemd-analyze", "security", "--offline=true", "--root="+root, unitPath).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for datakit.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > 6.1 {
		t.Errorf("the unit's exposure rose to %.1f (packaging/README.md says 6.1)", score)
	}
}

// onProbes is the PLUGIN+DEPENDENCY of each line `features` says is on.
func onProbes(out string) map[string]bool {
	on := map[string]bool{}
	re := regexp.MustCompile(`^(\S+)\s+(.*?)\s{2,}on\b`)
	for _, l := range strings.Split(out, "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			on[m[1]+" "+m[2]] = true
		}
	}
	return on
}

func mustCaps(t *testing.T, u *Unit) []int {
	var caps []int
	for _, n := range u.List("Service.CapabilityBoundingSet") {
		c, ok := capByName[n]
		if !ok {
			t.Fatalf("unknown capability %s", n)
		}
		caps = append(caps, c)
	}
	return caps
}

func capLine(t *testing.T, pid int, key string) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func goarch(t *testing.T) string {
	return strings.TrimSpace(testenv.Run(t, "go", "env", "GOARCH"))
}

func copyFile(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
