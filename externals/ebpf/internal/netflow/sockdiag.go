package netflow

import (
	"errors"
	"net"
	"net/netip"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/internal/hostns"
)

// sockDiag counts TCP at each flush where the kernel refuses the flush
// iterators (some hosts answer EPERM to iter programs, as to fentry): one
// INET_DIAG dump per network namespace gives every TCP socket's tcp_info
// (the same tcp_sock counters the iterator reads), its inode and its
// cookie, with nothing running per packet or per send. It does the
// iterators' other two jobs from userspace:
//   - accepted connections (their open fires in softirq) get their
//     process from the socket inode, looked up in /proc/*/fd only for the
//     connections that still have none (attribution at close() stays in
//     the kernel);
//   - connections established before the start are counted from the
//     first dump on, and adopted by the kernel at their first state change
//     (bpf/netflow/adopt.h), so their close is exact too.
//
// It is used from the plugin's run loop only, so it takes no lock.
type sockDiag struct {
	cfg     Config
	adopt   *ebpf.Map                  // cookies of the older connections (adopt.h)
	handles map[uint32]*netlink.Handle // by netns inode: a socket opened in each
	paths   map[uint32]string          // the host's namespaces, during one dump round
	older   map[diagKey]*olderConn     // established before the start, not yet adopted
}

// diagKey identifies a TCP socket across the dump and the conns map.
type diagKey struct {
	netns         uint32
	local, remote netip.AddrPort // unmapped
}

// diagSock is one socket of a dump.
type diagSock struct {
	family uint16
	state  uint8
	inode  uint32
	cookie uint64
	stats  netflowTcpStats
}

// olderConn is a connection of the first dump, counted as an adopted one
// (its identity is its cookie) until the kernel adopts it.
type olderConn struct {
	conn   netflowConn
	cookie uint64
}

func newSockDiag(cfg Config, adopt *ebpf.Map) *sockDiag {
	return &sockDiag{cfg: cfg, adopt: adopt, handles: map[uint32]*netlink.Handle{},
		older: map[diagKey]*olderConn{}}
}

// TCP states of include/net/tcp_states.h that INET_DIAG reports.
const (
	tcpEstablished = 1
	tcpTimeWait    = 6
	tcpCloseWait   = 8
	tcpLastAck     = 9
	tcpListen      = 10
	tcpClosing     = 11
)

// dump returns the TCP sockets of one namespace that carry counters.
func (d *sockDiag) dump(ns uint32, out map[diagKey]diagSock) error {
	h, err := d.handle(ns)
	if err != nil {
		return err
	}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		socks, err := h.SocketDiagTCPInfo(family)
		if err != nil {
			return err // ErrDumpInterrupted included: the next flush reads them again
		}
		for _, s := range socks {
			m, ti := s.InetDiagMsg, s.TCPInfo
			if m == nil || ti == nil || m.State == tcpListen {
				continue
			}
			read := ti.Bytes_received
			// bytes_received counts the peer's FIN once it came (see
			// read_tcp_stats): the states after a received FIN.
			if read > 0 && (m.State == tcpCloseWait || m.State == tcpLastAck || m.State == tcpClosing || m.State == tcpTimeWait) {
				read--
			}
			k := diagKey{ns, addrPort(m.ID.Source, m.ID.SourcePort), addrPort(m.ID.Destination, m.ID.DestinationPort)}
			out[k] = diagSock{family: uint16(m.Family), state: m.State, inode: m.INode,
				cookie: uint64(m.ID.Cookie[0]) | uint64(m.ID.Cookie[1])<<32,
				stats: netflowTcpStats{BytesRead: read, BytesWritten: sub(ti.Bytes_sent, ti.Bytes_retrans),
					TotalRetrans: ti.Total_retrans, SrttUs: ti.Rtt, RttvarUs: ti.Rttvar}}
		}
	}
	return nil
}

// handle is a netlink socket in namespace ns, opened once (the host's
// namespaces are looked up once a dump round, and only for a new one).
func (d *sockDiag) handle(ns uint32) (*netlink.Handle, error) {
	if h := d.handles[ns]; h != nil {
		return h, nil
	}
	if d.paths == nil {
		d.paths = hostns.NetNamespaces(d.cfg.ProcRoot, d.cfg.HostRoot)
	}
	path, ok := d.paths[ns]
	if !ok {
		return nil, errNoNetns
	}
	nh, err := netns.GetFromPath(path)
	if err != nil {
		return nil, err
	}
	defer nh.Close()
	h, err := netlink.NewHandleAt(nh, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, err
	}
	d.handles[ns] = h
	return h, nil
}

var errNoNetns = errors.New("network namespace gone")

// forget closes the sockets of the namespaces not in keep: a netlink
// socket holds its namespace, which would outlive its last process.
func (d *sockDiag) forget(keep map[uint32]bool) {
	for ns, h := range d.handles {
		if !keep[ns] {
			h.Close()
			delete(d.handles, ns)
		}
	}
	d.paths = nil
}

// Close closes the netlink sockets.
func (d *sockDiag) Close() error {
	for ns, h := range d.handles {
		h.Close()
		delete(d.handles, ns)
	}
	return nil
}

func addrPort(ip net.IP, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), port)
}

func keyOf(c *netflowConn) diagKey {
	local, remote := endpoints(&c.Tuple)
	return diagKey{c.Tuple.Netns, netip.AddrPortFrom(local.Addr().Unmap(), local.Port()),
		netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())}
}
