package proccache

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/rlimit"

	"netobs.local/agent/tests/testenv"
)

// A process that lives a few milliseconds is in the cache with its path,
// arguments, parent and exit code, after it is gone from /proc.
func TestShortLivedProcess(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "sh")
	c := startCache(t)
	if _, ok := c.Lookup(uint32(os.Getpid())); !ok {
		t.Fatal("the /proc scan did not find the test itself")
	}
	cmd := exec.Command("sh", "-c", "exit 3", "argv0-of-script", "--token=s3cret")
	_ = cmd.Run()
	pid := uint32(cmd.Process.Pid)
	info := exited(t, c, pid)
	if _, err := os.Stat("/proc/" + strconv.FormatUint(uint64(pid), 10)); err == nil {
		t.Fatal("the process is still in /proc: the test proves nothing")
	}
	want := []string{"sh", "-c", "exit 3", "argv0-of-script", "--token=s3cret"}
	if info.Path != "/usr/bin/sh" && info.Path != "/bin/sh" {
		t.Errorf("path %q, want sh's", info.Path)
	}
	if strings.Join(info.Args, "|") != strings.Join(want, "|") {
		t.Errorf("args %q, want %q", info.Args, want)
	}
	if info.PPid != uint32(os.Getpid()) || info.Comm != "sh" || info.ExitCode>>8 != 3 || info.Start == 0 {
		t.Errorf("got %+v, want parent %d, comm sh, exit status 3", info, os.Getpid())
	}
	if got := FormatArgs(info.Args, info.ArgsCut); got != "-c exit 3 argv0-of-script --token=***" {
		t.Errorf("FormatArgs = %q", got)
	}
	if c.DecodeErrors.Load() != 0 || c.KernelDrops() != 0 {
		t.Errorf("decode errors %d, kernel drops %d", c.DecodeErrors.Load(), c.KernelDrops())
	}
}

// startCache loads and starts a process cache that the test stops and
// closes (no BPF program stays loaded).
func startCache(t *testing.T) *Cache {
	t.Helper()
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatal(err)
	}
	c := New("/proc", time.Minute, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := c.Load(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

// exited waits for the cache to record the exit of pid and returns what it
// knows of the process.
func exited(t *testing.T, c *Cache, pid uint32) Info {
	t.Helper()
	var info Info
	testenv.Eventually(t, 5*time.Second, fmt.Sprintf("exit of process %d in the cache", pid), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		e := c.procs[pid]
		if e != nil {
			info = e.Info
		}
		return e != nil && e.Exited
	})
	return info
}

// A lookup made as soon as a short-lived process is gone (a plugin's
// flush right after a 10 ms curl closed its connection) gets the
// process's own path and arguments: its exec record was in the ring
// buffer before it ran, even if the reader has not woken up for it yet
// (records are submitted without a wakeup, and an idle reader looks
// only every 250 ms). Without that, the lookup finds the entry the fork
// made, which carries the parent's image.
func TestLookupRightAfterExit(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "sh")
	c := startCache(t)
	for i := range 20 {
		marker := "netobs-marker-" + strconv.Itoa(i)
		cmd := exec.Command("sh", "-c", "exit 0", marker)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		info, ok := c.Lookup(uint32(cmd.Process.Pid))
		if !ok || (info.Path != "/usr/bin/sh" && info.Path != "/bin/sh") || !slices.Contains(info.Args, marker) {
			t.Errorf("process %d of 20, looked up right after it exited: found %v, path %q, args %q; want sh with %s",
				i+1, ok, info.Path, info.Args, marker)
		}
	}
}
