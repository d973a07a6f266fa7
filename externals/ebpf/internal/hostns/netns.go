// Package hostns finds the host's network namespaces, for the plugins that
// open a netlink socket in each (conntrack events, socket diagnostics).
package hostns

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// NetNamespaces finds every network namespace of the host by inode, with a
// path that opens it: those of processes (procRoot/<pid>/ns/net) and the
// named ones that may have no process yet (ip netns: <hostRoot>/run/netns
// and /var/run/netns), so a namespace is watched before its first
// short-lived client runs.
func NetNamespaces(procRoot, hostRoot string) map[uint32]string {
	out := map[uint32]string{}
	add := func(path string) {
		var st syscall.Stat_t
		if syscall.Stat(path, &st) == nil {
			if _, seen := out[uint32(st.Ino)]; !seen {
				out[uint32(st.Ino)] = path
			}
		}
	}
	for _, dir := range []string{"run/netns", "var/run/netns"} {
		names, _ := os.ReadDir(filepath.Join(hostRoot, dir))
		for _, n := range names {
			add(filepath.Join(hostRoot, dir, n.Name()))
		}
	}
	dirs, _ := os.ReadDir(procRoot)
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err == nil {
			add(filepath.Join(procRoot, d.Name(), "ns", "net"))
		}
	}
	return out
}
