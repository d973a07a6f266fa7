package loader

import (
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// sockAddrAttach are the cgroup sock_addr attach points by name.
var sockAddrAttach = map[string]ebpf.AttachType{
	"recvmsg4": ebpf.AttachCGroupUDP4Recvmsg,
	"recvmsg6": ebpf.AttachCGroupUDP6Recvmsg,
}

// CgroupSockAddr attaches prog at the sock_addr attach point (recvmsg4,
// recvmsg6) of the cgroup v2 root, so it applies to every socket.
func CgroupSockAddr(prog *ebpf.Program, point string) (link.Link, error) {
	at, ok := sockAddrAttach[point]
	if !ok {
		return nil, fmt.Errorf("unknown cgroup sock_addr attach point %q", point)
	}
	root, release, err := Cgroup2Root()
	if err != nil {
		return nil, fmt.Errorf("attach %s to cgroup %s: %w", progName(prog), point, err)
	}
	defer release() // the attachment holds the cgroup, not the mount
	l, err := link.AttachCgroup(link.CgroupOptions{Path: root, Attach: at, Program: prog})
	if err != nil {
		return nil, fmt.Errorf("attach %s to cgroup %s at %s: %w", progName(prog), point, root, err)
	}
	return l, nil
}

// MountInfo is read by Cgroup2Root; a variable so tests can point it
// elsewhere.
var MountInfo = "/proc/self/mountinfo"

// cgroup2Fallback is where Cgroup2Root mounts the hierarchy when no
// mount shows its root.
var cgroup2Fallback = "/run/datakit-ebpf/cgroup2"

// Cgroup2Root returns a mount of the cgroup v2 hierarchy's root, where a
// program attached applies to every socket of the host: the first cgroup2
// mount whose root is "/" (/sys/fs/cgroup, or /sys/fs/cgroup/unified on
// hybrid hosts), else one it mounts itself, which release unmounts (the
// host is left as it was). From a container, that needs the host's cgroup
// namespace (a DaemonSet's hostPID and cgroup mount).
func Cgroup2Root() (path string, release func(), err error) {
	b, err := os.ReadFile(MountInfo)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", MountInfo, err)
	}
	if p, ok := cgroup2RootIn(string(b)); ok {
		return p, func() {}, nil
	}
	if err := os.MkdirAll(cgroup2Fallback, 0o700); err != nil {
		return "", nil, fmt.Errorf("no cgroup2 mount, and creating %s failed: %w", cgroup2Fallback, err)
	}
	if err := unix.Mount("cgroup2", cgroup2Fallback, "cgroup2", 0, ""); err != nil {
		return "", nil, fmt.Errorf("no cgroup2 mount, and mounting one at %s failed: %w", cgroup2Fallback, err)
	}
	return cgroup2Fallback, func() { unix.Unmount(cgroup2Fallback, unix.MNT_DETACH) }, nil
}

// cgroup2RootIn finds a cgroup2 mount of the hierarchy's root in a
// mountinfo: "36 25 0:31 / /sys/fs/cgroup rw,... - cgroup2 cgroup2 rw".
func cgroup2RootIn(mountinfo string) (string, bool) {
	for _, line := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" && f[3] == "/" {
			return unescapeMount(f[4]), true
		}
	}
	return "", false
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline
// and backslash.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}
