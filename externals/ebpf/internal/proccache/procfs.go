package proccache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's starttime: 100 on
// every Linux architecture we build for (it is fixed by the ABI, not HZ).
const clockTick = 10 * time.Millisecond

// cmdlineLimit bounds what is read of /proc/<pid>/cmdline, like the
// kernel side bounds argv (PROC_ARGS_LEN).
const cmdlineLimit = 1024

// readProc reads one process from procRoot ("/proc" or the host's proc).
func readProc(procRoot string, pid uint32) (Info, error) {
	dir := filepath.Join(procRoot, strconv.FormatUint(uint64(pid), 10))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Info{}, err
	}
	info, err := parseStat(stat)
	if err != nil {
		return Info{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	info.Pid = pid
	if f, err := os.Open(filepath.Join(dir, "cmdline")); err == nil {
		b, _ := io.ReadAll(io.LimitReader(f, cmdlineLimit+1))
		f.Close()
		info.ArgsCut = len(b) > cmdlineLimit
		if info.ArgsCut {
			b = b[:cmdlineLimit]
		}
		info.Args = splitArgs(b)
	}
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		info.Path = strings.TrimSuffix(exe, " (deleted)")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		info.UID, _ = parseStatusUID(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		info.ContainerID = ContainerID(parseCgroup(b))
	}
	return info, nil
}

// parseStat reads comm, ppid and starttime from /proc/<pid>/stat:
// "pid (comm) state ppid pgrp ... starttime(22nd) ...". comm may hold
// spaces and parentheses, so it ends at the last ')'.
func parseStat(b []byte) (Info, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Info{}, fmt.Errorf("no (comm) in %q", truncate(b))
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); starttime is field 22, so f[19].
	if len(f) < 20 {
		return Info{}, fmt.Errorf("%d fields after comm, want at least 20", len(f))
	}
	ppid, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return Info{}, fmt.Errorf("field 4 (ppid) %q: %w", f[1], err)
	}
	ticks, err := strconv.ParseUint(f[19], 10, 63)
	if err != nil || ticks > uint64(1<<62)/uint64(clockTick) {
		return Info{}, fmt.Errorf("field 22 (starttime) %q: not a tick count", f[19])
	}
	return Info{Comm: string(b[open+1 : end]), PPid: uint32(ppid), Start: time.Duration(ticks) * clockTick}, nil
}

// parseStatusUID returns the real uid of a /proc/<pid>/status.
func parseStatusUID(b []byte) (uint32, error) {
	s := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; s.Scan(); line++ {
		rest, ok := strings.CutPrefix(s.Text(), "Uid:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, fmt.Errorf("line %d: Uid: without values", line)
		}
		uid, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("line %d: Uid %q: %w", line, f[0], err)
		}
		return uint32(uid), nil
	}
	return 0, fmt.Errorf("no Uid: line")
}

// parseCgroup returns the cgroup path of a /proc/<pid>/cgroup: the v2
// line ("0::/path") when there is one, else the longest v1 path (the
// container's, on hosts where some controllers are not delegated).
func parseCgroup(b []byte) string {
	var best string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			return parts[2]
		}
		if len(parts[2]) > len(best) {
			best = parts[2]
		}
	}
	return best
}

// ContainerID finds a container id in a cgroup path: a run of 64 hex
// digits bounded by non-hex characters in one path component
// (docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
// libpod-<id>.scope, /docker/<id>, /kubepods/.../<id>). The nearest
// component to the leaf wins; conmon's scope is not a container.
func ContainerID(path string) string {
	comps := strings.Split(path, "/")
	for i := len(comps) - 1; i >= 0; i-- {
		c := comps[i]
		if strings.Contains(c, "conmon") {
			continue
		}
		if id := hexRun64(c); id != "" {
			return id
		}
	}
	return ""
}

func hexRun64(s string) string {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isHex(s[i]) {
			run++
			continue
		}
		if run == 64 {
			return s[i-64 : i]
		}
		run = 0
	}
	return ""
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
