package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestCheckConfigNamesFileLineKey runs `datakit check-config` on a broken
// conf dir and expects every problem, each with its file, line and key.
func TestCheckConfigNamesFileLineKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "datakit.conf"), []byte("hostname = \"h\"\n[http_api]\n  listen = \"127.0.0.1:1\"\n  max_body_bytes = \"big\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ebpf.conf"), []byte("[[inputs.ebpf]]\n  interval = \"10s\"\n  netlog_blacklist = \"tcp && dst_prot == 80\"\n  intervall = \"1s\"\n"), 0o644)
	out, err := exec.Command(testenv.Binary(t, "datakit"), "check-config", "--conf-dir", dir).CombinedOutput()
	if code := exitCode(err); code != 1 {
		t.Fatalf("check-config exited %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"datakit.conf:4: http_api.max_body_bytes: incompatible types",
		"ebpf.conf:4: inputs.ebpf.intervall: unknown key",
		"netlog_blacklist: 1:8: unknown field dst_prot (did you mean dst_port?)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "datakit.conf"), []byte("hostname = \"h\"\n"), 0o644)
	os.Remove(filepath.Join(dir, "ebpf.conf"))
	if out, err := exec.Command(testenv.Binary(t, "datakit"), "check-config", "--conf-dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("a good conf dir: %v\n%s", err, out)
	}
}

// TestReloadOnSIGHUP changes a global tag and reloads: new points carry it.
// A broken file then makes the reload refuse, and the agent keeps serving
// with the configuration it had.
func TestReloadOnSIGHUP(t *testing.T) {
	s := StartSupervisor(t, "[global_tags]\n  stage = \"one\"\n", nil)
	post := func(name string) {
		t.Helper()
		if status, body := s.Post("/v1/write/metric", strings.NewReader(name+" v=1i\n"), nil); status != 200 {
			t.Fatalf("write: %d %s", status, body)
		}
	}
	post("before")
	conf := filepath.Join(s.ConfDir, "datakit.conf")
	b, _ := os.ReadFile(conf)
	os.WriteFile(conf, []byte(strings.Replace(string(b), `stage = "one"`, `stage = "two"`, 1)), 0o644)
	syscall.Kill(s.Proc.Pid(), syscall.SIGHUP)
	testenv.Eventually(t, 10*time.Second, "points written after the reload to carry stage=two", func() bool {
		status, _ := s.Post("/v1/write/metric", strings.NewReader("after v=1i\n"), nil)
		if status != 200 {
			return false
		}
		_, body := s.Get("/v1/query?category=metric&measurement=after&tag=stage:two")
		return strings.Contains(body, "after,")
	})

	os.WriteFile(conf, []byte("hostname = \n"), 0o644)
	syscall.Kill(s.Proc.Pid(), syscall.SIGHUP)
	testenv.Eventually(t, 5*time.Second, "the refused reload to be logged", func() bool {
		return strings.Contains(s.Proc.Output(), "reload refused")
	})
	post("still")
	testenv.Eventually(t, 5*time.Second, "a point after the refused reload to carry stage=two", func() bool {
		_, body := s.Get("/v1/query?category=metric&measurement=still&tag=stage:two")
		return strings.Contains(body, "still,")
	})
}

// TestCheckConfigMissingFolder: a folder that is not there fails the check
// (the default one included, when it is not installed), rather than "ok".
func TestCheckConfigMissingFolder(t *testing.T) {
	for _, args := range [][]string{{"--conf-dir", filepath.Join(t.TempDir(), "nope")}, nil} {
		if len(args) == 0 {
			if _, err := os.Stat("/usr/local/datakit/conf.d"); err == nil {
				continue // installed here: the default folder exists
			}
		}
		out, err := exec.Command(testenv.Binary(t, "datakit"), append([]string{"check-config"}, args...)...).CombinedOutput()
		if code := exitCode(err); code != 1 || !strings.Contains(string(out), "cannot read the configuration folder") {
			t.Errorf("check-config %v exited %d:\n%s", args, code, out)
		}
	}
}

// TestSIGHUPUnchanged: a SIGHUP with nothing changed restarts nothing.
func TestSIGHUPUnchanged(t *testing.T) {
	s := StartSupervisor(t, "[global_tags]\n  stage = \"one\"\n", nil)
	conf := filepath.Join(s.ConfDir, "datakit.conf")
	b, _ := os.ReadFile(conf)
	os.WriteFile(conf, append([]byte("# only a comment more\n"), b...), 0o644)
	syscall.Kill(s.Proc.Pid(), syscall.SIGHUP)
	testenv.Eventually(t, 5*time.Second, "the unchanged reload to be logged", func() bool {
		return strings.Contains(s.Proc.Output(), "configuration unchanged")
	})
	if strings.Contains(s.Proc.Output(), "reloading") {
		t.Fatalf("an unchanged configuration was reloaded:\n%s", s.Proc.Output())
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
