// Package l7 holds the contract between the kernel-side payload capture and
// the userspace L7 analysis (httpflow, dnsflow): the capture Event, the
// connection identity handed to tag builders, and the exchange records the
// stream layer produces.
//
// The sub-packages do the work: httpparse and dnsparse read protocol heads,
// stream turns events into exchanges, httpflow and dnsflow aggregate them per
// interval, domains remembers which name an address was resolved from, and
// collect wires them together. See README.md for the design.
package l7

import "net/netip"

// Dir says what the syscall did with the bytes.
type Dir uint8

const (
	// DirSend: the process wrote Payload to the socket (write, send*, ...).
	DirSend Dir = 1
	// DirRecv: the process read Payload from the socket (read, recv*, ...).
	DirRecv Dir = 2
	// DirClose: the socket was closed (TCP state CLOSE, or the last fd went
	// away). It carries no payload; it finishes responses whose end is
	// only marked by the close, and frees the socket's state at once.
	DirClose Dir = 3
)

func (d Dir) String() string {
	switch d {
	case DirSend:
		return "send"
	case DirRecv:
		return "recv"
	case DirClose:
		return "close"
	}
	return "invalid"
}

// Proto is the transport protocol, as in IPPROTO_*.
type Proto uint8

const (
	TCP Proto = 6
	UDP Proto = 17
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return "invalid"
}

// Source names the capture an event came from. Sockets are keyed by
// (SockID, Source), so two captures of one socket (a TLS library's
// plaintext and the socket's ciphertext, say) are parsed independently.
type Source uint8

const (
	// SourceSocket: the socket send/recv capture (netflow's l7capture.h).
	SourceSocket Source = 0
	// SourcePacket: packets (bpf-netlog's AF_PACKET capture).
	SourcePacket Source = 1
	// SourceTLS: plaintext from TLS library uprobes (to come).
	SourceTLS Source = 2
)

func (s Source) String() string {
	switch s {
	case SourceSocket:
		return "socket"
	case SourcePacket:
		return "packet"
	case SourceTLS:
		return "tls"
	}
	return "invalid"
}

// Verdict is the engine's decision on a socket, for its source to act on
// (the kernel's l7_verdicts map): while classifying nothing is decided;
// Ignore stops the capture; VerdictParse+i says the socket is parsed by
// the engine's protocol i, for a fast path that captures it differently.
type Verdict uint8

const (
	VerdictClassifying Verdict = 0
	VerdictIgnore      Verdict = 1
	VerdictParse       Verdict = 2
)

// DefaultCaptureBytes is the default cap N on captured payload bytes per
// syscall: enough for a request line with a long path plus the usual headers
// of a client or server, and for any DNS question.
const DefaultCaptureBytes = 512

// Event is one send or receive on a TCP or UDP socket, as captured in the
// kernel from sock:sock_send_length / sock:sock_recv_length (see README.md
// for the C mirror). Only syscalls that moved bytes (ret > 0) are events.
type Event struct {
	Dir   Dir
	Proto Proto
	// Pid is the thread-group id (the userspace "pid"), Tid the thread id.
	Pid, Tid uint32
	// Comm is the task's comm, NUL-padded.
	Comm [16]byte
	// TimestampNs is bpf_ktime_get_ns() when the syscall completed:
	// CLOCK_MONOTONIC, the same clock the stream layer's Advance expects.
	TimestampNs uint64
	// SockID identifies the socket for its whole life and is never reused
	// while it lives: the socket cookie (bpf_get_socket_cookie).
	SockID uint64
	// Source is the capture that produced the event.
	Source Source
	// Seq is the TCP sequence number of Payload's first byte, when
	// SeqKnown (packets know it; socket syscalls do not, yet).
	Seq      uint32
	SeqKnown bool
	// Local and Remote are the socket's own address and its peer's. For an
	// unconnected UDP socket Remote is the datagram's peer (msg_name of
	// sendto/recvfrom); IPv4-mapped IPv6 addresses are unmapped by the
	// decoder, so Local.Addr().Is4() tells the family.
	Local, Remote netip.AddrPort
	// TotalLen is how many bytes the syscall moved; it may exceed
	// len(Payload) when the capture was capped.
	TotalLen uint32
	// Payload is the first min(TotalLen, N) bytes the syscall moved. It is
	// only valid during the call that hands the event over: the consumer
	// copies what it keeps. Captured payloads are never logged.
	Payload []byte
}

// Truncated reports whether the capture holds fewer bytes than the syscall
// moved.
func (e *Event) Truncated() bool { return uint32(len(e.Payload)) < e.TotalLen }

// CommString returns Comm up to its first NUL.
func (e *Event) CommString() string {
	for i, c := range e.Comm {
		if c == 0 {
			return string(e.Comm[:i])
		}
	}
	return string(e.Comm[:])
}
