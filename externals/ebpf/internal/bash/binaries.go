package bash

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// fileID identifies a binary across mount namespaces: uprobes attach to
// the inode, so one attachment per (device, inode) covers every process.
type fileID struct{ dev, ino uint64 }

// findBinaries returns every bash binary in use, by file, with a path
// that opens it from here: the executables of running processes whose
// name is bash, reached through procRoot/<pid>/root (their own mount
// namespace: containers and chroots included), plus the host's own
// /bin/bash and /usr/bin/bash under hostRoot, so shells started later on
// the host are seen from their first line.
func findBinaries(procRoot, hostRoot string) map[fileID]string {
	out := map[fileID]string{}
	add := func(path string) { addFile(out, path) }
	for _, p := range []string{"bin/bash", "usr/bin/bash"} {
		add(filepath.Join(hostRoot, p))
	}
	dirs, _ := os.ReadDir(procRoot)
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join(procRoot, d.Name(), "exe"))
		if err != nil || !isBash(exe) {
			continue
		}
		add(filepath.Join(procRoot, d.Name(), "root", strings.TrimSuffix(exe, " (deleted)")))
	}
	return out
}

// execBinary is the binary a process exec'ed, by the path it exec'ed in
// its own mount namespace (procRoot/<pid>/root): nothing when the process
// is gone already (its binary is probed at its next exec, or by a shell
// that lives).
func execBinary(procRoot string, info proccache.Info) map[fileID]string {
	out := map[fileID]string{}
	addFile(out, filepath.Join(procRoot, strconv.FormatUint(uint64(info.Pid), 10), "root", info.Path))
	return out
}

// addFile adds the regular file at path by its identity.
func addFile(out map[fileID]string, path string) {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return
	}
	id := fileID{st.Dev, st.Ino}
	if _, seen := out[id]; !seen {
		out[id] = path
	}
}

// isBash accepts bash and versioned names (bash5.2), not bashbug & co.
func isBash(exe string) bool {
	base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	rest, ok := strings.CutPrefix(base, "bash")
	return ok && strings.Trim(rest, "0123456789.") == ""
}
