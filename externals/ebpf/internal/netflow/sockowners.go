package netflow

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

type owner struct {
	pid  uint32
	comm [16]int8
}

// socketOwners finds, among the open files of every process under
// procRoot, the process of each socket inode wanted: the socket diagnostics
// way's stand-in for iter/task_file. A socket shared by several processes
// goes to the first one found. It reads each fd's link, so it runs only
// when some connection has no process yet, and stops once all are found.
func socketOwners(procRoot string, want map[uint32]bool) map[uint32]owner {
	found := map[uint32]owner{}
	if len(want) == 0 {
		return found
	}
	procs, _ := os.ReadDir(procRoot)
	for _, p := range procs {
		pid, err := strconv.ParseUint(p.Name(), 10, 32)
		if err != nil {
			continue
		}
		dir := filepath.Join(procRoot, p.Name(), "fd")
		fds, _ := os.ReadDir(dir)
		var comm *[16]int8
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(target[len("socket:["):], "]"), 10, 32)
			if err != nil || !want[uint32(inode)] {
				continue
			}
			if _, dup := found[uint32(inode)]; dup {
				continue
			}
			if comm == nil {
				comm = readComm(filepath.Join(procRoot, p.Name(), "comm"))
			}
			found[uint32(inode)] = owner{uint32(pid), *comm}
			if len(found) == len(want) {
				return found
			}
		}
	}
	return found
}

// readComm is the process's name, as the kernel's task comm.
func readComm(path string) *[16]int8 {
	var c [16]int8
	b, _ := os.ReadFile(path)
	name := strings.TrimSuffix(string(b), "\n")
	for i := 0; i < len(name) && i < 15; i++ {
		c[i] = int8(name[i])
	}
	return &c
}
