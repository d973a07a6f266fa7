package features

import (
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// KindSockDiag is the kernel's socket diagnostics (netlink INET_DIAG with
// tcp_info), Target "tcp": no BPF program, the counters of every TCP
// socket of a network namespace in one dump.
const KindSockDiag HookKind = "sock_diag"

// sockDiagOn dumps this namespace's IPv4 TCP sockets with their tcp_info,
// as the collector does at each flush: it works where NETLINK_SOCK_DIAG
// and the inet_diag module are there and we may use them.
func sockDiagOn() Status {
	if _, err := netlink.SocketDiagTCPInfo(unix.AF_INET); err != nil {
		return off("socket diagnostics (NETLINK_SOCK_DIAG, INET_DIAG_INFO) unavailable: " + err.Error())
	}
	return on()
}
