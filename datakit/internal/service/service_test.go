package service

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEmbeddedUnitIsThePackagedOne(t *testing.T) {
	if repoFile(t, "packaging/systemd/datakit.service") != unitTemplate {
		t.Fatal("datakit/internal/service/datakit.service differs from packaging/systemd/datakit.service: " +
			"copy the packaging file over the embedded one")
	}
}

func TestRenderDefaultsIsTheTemplate(t *testing.T) {
	got, err := Render("/usr/local/datakit/datakit", "/usr/local/datakit/conf.d", "/usr/local/datakit/data")
	if err != nil {
		t.Fatal(err)
	}
	if got != unitTemplate {
		t.Errorf("rendering the default paths changed the unit:\n%s", got)
	}
}

func TestRenderPaths(t *testing.T) {
	got, err := Render("/opt/my agent/datakit", "/etc/datakit 100%/conf.d", "/var/lib/data$dir")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nExecStart=\"/opt/my agent/datakit\" run --conf-dir \"/etc/datakit 100%%/conf.d\"\n",
		"\nReadWritePaths=-/var/lib/data$dir\n", // no $ expansion outside Exec lines
	} {
		if !strings.Contains(got, want) {
			t.Errorf("unit lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "\nExecStart=") != 1 || strings.Contains(got, "/usr/local/datakit/datakit run") {
		t.Errorf("the default ExecStart survived:\n%s", got)
	}
}

func TestRenderRejectsRelativePaths(t *testing.T) {
	for _, args := range [][3]string{
		{"datakit", "/c", "/d"}, {"/b", "conf.d", "/d"}, {"/b", "/c", "data"}, {"/b\n[Service]", "/c", "/d"},
		{`/opt/"x"/datakit`, "/c", "/d"}, {`/opt/x\\/datakit`, "/c", "/d"},
	} {
		if _, err := Render(args[0], args[1], args[2]); err == nil || !strings.Contains(err.Error(), "path") {
			t.Errorf("Render%q = %v, want an absolute-path error", args, err)
		}
	}
}

// TestUnitVerifies runs systemd's own parser over the rendered unit: any
// unknown key, bad capability name or bad value is reported.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipped: systemd-analyze is not installed (tests/deps/child.txt lists systemd)")
	}
	// A folder name that needs quoting and escaping; verify checks that
	// ExecStart names an existing executable, so bad quoting shows.
	dir := filepath.Join(t.TempDir(), "my agent 100%")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "datakit")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit, err := Render(bin, filepath.Join(dir, "conf.d"), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, Unit)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), path) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// fakeSystemd sets up a systemd runtime folder, a unit folder and a
// systemctl that records its arguments and exits with $FAKE_RC.
func fakeSystemd(t *testing.T) (Options, func() []string) {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	ctl := filepath.Join(dir, "systemctl")
	script := "#!/bin/sh\necho \"$*\" >> " + calls + "\necho \"systemctl says $1\"\nexit ${FAKE_RC:-0}\n"
	if err := os.WriteFile(ctl, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"run", "units"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{Binary: "/opt/dk/datakit", ConfDir: "/opt/dk/conf.d", DataDir: filepath.Join(dir, "data"),
		UnitDir: filepath.Join(dir, "units"), SystemdDir: filepath.Join(dir, "run"), Systemctl: ctl, Out: &bytes.Buffer{}}
	return opts, func() []string {
		b, _ := os.ReadFile(calls)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

func TestInstallUninstall(t *testing.T) {
	opts, calls := fakeSystemd(t)
	if err := Manage("install", opts); err != nil {
		t.Fatalf("install: %v", err)
	}
	unitPath := filepath.Join(opts.UnitDir, Unit)
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nExecStart=/opt/dk/datakit run --conf-dir /opt/dk/conf.d\n") ||
		!strings.Contains(string(b), "\nReadWritePaths=-"+opts.DataDir+"\n") {
		t.Errorf("installed unit has the wrong paths:\n%s", b)
	}
	if st, err := os.Stat(unitPath); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("unit file mode: %v %v", st.Mode(), err)
	}
	if st, err := os.Stat(opts.DataDir); err != nil || !st.IsDir() {
		t.Errorf("data_dir not created: %v", err)
	}
	if got := strings.Join(calls(), "|"); got != "daemon-reload|enable datakit.service" {
		t.Errorf("install ran systemctl %q", got)
	}

	for _, action := range []string{"start", "stop", "status"} {
		if err := Manage(action, opts); err != nil {
			t.Errorf("%s: %v", action, err)
		}
	}
	if out := opts.Out.(*bytes.Buffer).String(); !strings.Contains(out, "systemctl says status") {
		t.Errorf("status output not shown: %q", out)
	}

	if err := Manage("uninstall", opts); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if _, err := os.Stat(unitPath); !os.IsNotExist(err) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
	want := "daemon-reload|enable datakit.service|start datakit.service|stop datakit.service|" +
		"status --no-pager datakit.service|disable --now datakit.service|daemon-reload"
	if got := strings.Join(calls(), "|"); got != want {
		t.Errorf("systemctl calls:\n got %s\nwant %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	opts, _ := fakeSystemd(t)
	noSystemd := opts
	noSystemd.SystemdDir = filepath.Join(t.TempDir(), "absent")
	cases := []struct {
		action string
		opts   Options
		env    string
		want   string
	}{
		{"restart", opts, "", `unknown service action "restart" (want one of: install, uninstall, start, stop, status)`},
		{"install", noSystemd, "", "systemd is not running on this host (" + noSystemd.SystemdDir + " is missing)"},
		{"status", noSystemd, "", "systemd is not running"},
		{"start", opts, "", "datakit.service is not installed"},
		{"uninstall", opts, "", "datakit.service is not installed"},
		{"status", opts, "3", "datakit.service is not running"},
		{"status", opts, "4", "datakit.service is not installed"},
		{"install", opts, "1", "systemctl daemon-reload: exit status 1: systemctl says daemon-reload"},
	}
	for _, c := range cases {
		t.Setenv("FAKE_RC", c.env)
		err := Manage(c.action, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (rc %q): error %v\n want one containing %q", c.action, c.env, err, c.want)
		}
	}
}
