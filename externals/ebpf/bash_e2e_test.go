package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// An interactive bash, run as nobody through a pseudo-terminal (util-linux
// script), reads three known commands: three bash log points carry them
// with the shell's pid and user.
func TestBashLog(t *testing.T) {
	testenv.RequireBinaries(t, "script", "setpriv", "bash")
	testenv.RequireRoot(t)
	testenv.RequireHook(t, features.Hook{Kind: features.KindUretprobe, Target: "readline"})
	out, stop := collector(t, "--enabled", "ebpf-bash")
	home := t.TempDir()
	os.Chmod(home, 0o777)
	cmd := exec.Command("script", "-qfec", "setpriv --reuid=65534 --regid=65534 --clear-groups bash --norc --noprofile -i", "/dev/null")
	cmd.Env = append(os.Environ(), "HOME="+home, "HISTFILE=/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartCmd(t, cmd)
	// script runs the command through $SHELL or /bin/sh; dash forks for it
	// rather than exec'ing, so bash may be a grandchild.
	var shell int
	testenv.Eventually(t, 10*time.Second, "bash under script", func() bool {
		shell = descendantRunning(p.Pid(), "/bash")
		return shell != 0
	})
	commands := []string{"echo netobs-one", "true netobs-two && cd /", "printf '%s\\n' netobs-three | cat"}
	for _, c := range commands {
		fmt.Fprintln(stdin, c)
		time.Sleep(200 * time.Millisecond) // one readline per line
	}
	testenv.Eventually(t, 10*time.Second, "three bash points", func() bool {
		return len(bashPoints(t, out, "netobs-")) >= 3
	})
	fmt.Fprintln(stdin, "exit")
	stdin.Close()
	stop()
	got := bashPoints(t, out, "netobs-")
	if len(got) != 3 {
		t.Fatalf("%d bash points, want 3: %v", len(got), got)
	}
	for i, f := range got {
		if f["cmd"] != commands[i] || f["pid"] != strconv.Itoa(shell) || f["user"] != "nobody" ||
			!strings.Contains(f["message"], commands[i]) {
			t.Errorf("point %d: %v, want cmd %q, pid %d, user nobody", i, f, commands[i], shell)
		}
	}
}

// descendantRunning returns the first process below pid whose executable
// path ends with suffix, or 0.
func descendantRunning(pid int, suffix string) int {
	lists, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, l := range lists {
		b, _ := os.ReadFile(l) // processes come and go meanwhile
		for _, f := range strings.Fields(string(b)) {
			c, _ := strconv.Atoi(f)
			if exe, _ := os.Readlink("/proc/" + f + "/exe"); strings.HasSuffix(exe, suffix) {
				return c
			}
			if d := descendantRunning(c, suffix); d != 0 {
				return d
			}
		}
	}
	return 0
}

// bashPoints returns the string fields (and host tag) of the bash points
// whose cmd contains marker, in file order. readPoints checks the schema.
func bashPoints(t *testing.T, path, marker string) []map[string]string {
	t.Helper()
	readPoints(t, path)
	b, _ := os.ReadFile(path)
	var out []map[string]string
	dec := lineprotocol.NewDecoderWithBytes(b)
	for dec.Next() {
		name, _ := dec.Measurement()
		if string(name) != "bash" {
			continue
		}
		f := map[string]string{}
		for k, v, err := dec.NextTag(); k != nil && err == nil; k, v, err = dec.NextTag() {
			f[string(k)] = string(v)
		}
		for k, v, err := dec.NextField(); k != nil && err == nil; k, v, err = dec.NextField() {
			f[string(k)] = v.StringV()
		}
		if strings.Contains(f["cmd"], marker) {
			out = append(out, f)
		}
	}
	return out
}

// A bash binary that no process ran when the collector started (a copy,
// so a new inode, as a container's would be) is probed at its first exec,
// from the process cache's exec events: the lines read from half a second
// after that shell started are reported (a /proc rescan every 5 s would
// miss them).
func TestBashNewBinary(t *testing.T) {
	testenv.RequireBinaries(t, "script", "bash")
	out, stop := collector(t, "--enabled", "ebpf-bash")
	bin := filepath.Join(t.TempDir(), "bash")
	b, err := os.ReadFile("/usr/bin/bash")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(bin), 0o755)
	cmd := exec.Command("script", "-qfec", bin+" --norc --noprofile -i", "/dev/null")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "HISTFILE=/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartCmd(t, cmd)
	testenv.Eventually(t, 10*time.Second, "the copied bash under script", func() bool {
		return descendantRunning(p.Pid(), bin) != 0
	})
	// The readline call waiting now began before any probe could be
	// attached; the one after the warm-up line begins half a second later.
	time.Sleep(500 * time.Millisecond)
	fmt.Fprintln(stdin, "true warm-up")
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintln(stdin, "echo netobs-new-binary")
	testenv.Eventually(t, 5*time.Second, "the line of the new binary's shell", func() bool {
		return len(bashPoints(t, out, "netobs-new-binary")) == 1
	})
	fmt.Fprintln(stdin, "exit")
	stdin.Close()
	stop()
}
