package netlog

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// packetSocket is one AF_PACKET socket bound to every interface of the
// namespace it was created in. It is read with recvmsg rather than through
// pcapgo.EthernetHandle because the handle drops the sockaddr_ll, and its
// packet type is what tells a sent packet from a received one and the two
// copies of a loopback packet apart; and one socket per namespace sees
// interfaces that appear later without being reopened.
type packetSocket struct {
	f   *os.File
	raw syscall.RawConn
	buf []byte
	oob []byte
	set time.Time // the deadline in force
}

// frame is one captured packet; data is valid until the next read.
type frame struct {
	data    []byte
	wireLen int
	ifindex int
	pkttype uint8 // unix.PACKET_HOST, PACKET_OUTGOING, ...
	ts      time.Time
}

const (
	snapLen = 256 << 10 // GSO/GRO packets exceed the MTU; keep whole heads of them
	rcvBuf  = 8 << 20
)

// openPacketSocket opens the socket inside the namespace at ns.path.
func openPacketSocket(ns netns) (*packetSocket, error) {
	var fd int
	err := inNetns(ns.path, func() (err error) {
		fd, err = packetFD()
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
	}
	f := os.NewFile(uintptr(fd), "packet:"+ns.path)
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &packetSocket{f: f, raw: raw, buf: make([]byte, snapLen), oob: make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))}, nil
}

// packetFD opens an AF_PACKET socket bound to every interface of the
// calling thread's network namespace.
func packetFD() (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return -1, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind AF_PACKET socket: %w", err)
	}
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// read waits for the next packet until the deadline (os.ErrDeadlineExceeded).
func (s *packetSocket) read(deadline time.Time, fr *frame) error {
	if !deadline.Equal(s.set) {
		if err := s.f.SetReadDeadline(deadline); err != nil {
			return err
		}
		s.set = deadline
	}
	var sa unix.RawSockaddrLinklayer
	var iov unix.Iovec
	iov.Base = &s.buf[0]
	iov.SetLen(len(s.buf))
	var msg unix.Msghdr
	msg.Name = (*byte)(unsafe.Pointer(&sa))
	msg.Namelen = uint32(unsafe.Sizeof(sa))
	msg.Iov = &iov
	msg.Iovlen = 1
	msg.Control = &s.oob[0]
	msg.SetControllen(len(s.oob))
	var n uintptr
	var errno syscall.Errno
	err := s.raw.Read(func(fd uintptr) bool {
		// MSG_TRUNC returns the packet's real length even when it is cut.
		n, _, errno = syscall.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), unix.MSG_TRUNC)
		return errno != syscall.EAGAIN
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("recvmsg: %w", errno)
	}
	fr.wireLen = int(n)
	fr.data = s.buf[:min(int(n), len(s.buf))]
	fr.ifindex = int(sa.Ifindex)
	fr.pkttype = sa.Pkttype
	fr.ts = time.Time{}
	if oob := s.oob[:msg.Controllen]; len(oob) >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS {
			ts := (*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
			fr.ts = time.Unix(ts.Sec, ts.Nsec)
		}
	}
	if fr.ts.IsZero() {
		fr.ts = time.Now()
	}
	return nil
}

// drops returns the packets the kernel dropped since the last call
// (PACKET_STATISTICS resets on read).
func (s *packetSocket) drops() uint64 {
	var st *unix.TpacketStats
	var err error
	cerr := s.raw.Control(func(fd uintptr) {
		st, err = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if cerr != nil || err != nil {
		return 0
	}
	return uint64(st.Drops)
}

func (s *packetSocket) close() error { return s.f.Close() }

// isTimeout reports whether err is the read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
