package netflow

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"netobs.local/agent/externals/ebpf/internal/features"
)

// Hook is one tracepoint of the plugin, for attaching and for the
// features report.
type Hook struct {
	Group, Event string
	Required     bool
	WithoutIt    string // what is lost when it is missing
	prog         func(*netflowObjects) *ebpf.Program
	recvExit     bool // finishes unconnected UDP recvs (udp_recv_at_exit needs all of them)
	// btf, when set, is the same program as a BTF raw tracepoint (tp_btf),
	// attached instead of prog where the kernel supports it: cheaper per run.
	btf func(*netflowObjects) *ebpf.Program
}

// recvExitLoss is what is lost without one of the recv exits: the sender
// of a datagram read from an unconnected socket is known only there.
const recvExitLoss = "UDP received on unconnected sockets (servers, sendto/recvfrom clients) is booked against the " +
	"unknown peer 0.0.0.0:0, and dnsflow of such servers has no queries"

// Hooks are the plugin's tracepoints, in attach order.
func Hooks() []Hook {
	return []Hook{
		{"sock", "inet_sock_set_state", true, "no TCP connections at all",
			func(o *netflowObjects) *ebpf.Program { return o.OnInetSockSetState }, false, nil},
		{"tcp", "tcp_retransmit_skb", false, "retransmits of idle connections show up only when they send, receive or close",
			func(o *netflowObjects) *ebpf.Program { return o.OnTcpRetransmitSkb }, false, nil},
		{"sock", "sock_send_length", false, "no UDP flows, no pid for accepted TCP connections, TCP counters only at close",
			func(o *netflowObjects) *ebpf.Program { return o.OnSockSendLength }, false,
			func(o *netflowObjects) *ebpf.Program { return o.OnSockSendLengthBtf }},
		{"sock", "sock_recv_length", false, "no received UDP bytes, fewer pids for accepted TCP connections",
			func(o *netflowObjects) *ebpf.Program { return o.OnSockRecvLength }, false,
			func(o *netflowObjects) *ebpf.Program { return o.OnSockRecvLengthBtf }},
		{"syscalls", "sys_exit_accept4", false, "an accepted connection closed without any send or receive keeps pid 0",
			func(o *netflowObjects) *ebpf.Program { return o.OnSysExitAccept4 }, false, nil},
		{"syscalls", "sys_exit_accept", false, "an accepted connection closed without any send or receive keeps pid 0",
			func(o *netflowObjects) *ebpf.Program { return o.OnSysExitAccept }, false, nil},
		{"syscalls", "sys_exit_recvfrom", false, recvExitLoss,
			func(o *netflowObjects) *ebpf.Program { return o.OnSysExitRecvfrom }, true, nil},
		{"syscalls", "sys_exit_recvmsg", false, recvExitLoss,
			func(o *netflowObjects) *ebpf.Program { return o.OnSysExitRecvmsg }, true, nil},
		{"syscalls", "sys_exit_recvmmsg", false, recvExitLoss,
			func(o *netflowObjects) *ebpf.Program { return o.OnSysExitRecvmmsg }, true, nil},
	}
}

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports everything the plugin depends on, on this kernel.
func Features() []Check {
	checks := []Check{
		{"privileges", features.Root()},
		{"map ringbuf", features.RingBuf()},
		{"BTF tcp_sock.bytes_received (CO-RE counters)", features.BTFMember("tcp_sock", "bytes_received")},
		{"BTF tcp_sock.bytes_sent", features.BTFMember("tcp_sock", "bytes_sent")},
		{"BTF tcp_sock.bytes_retrans", features.BTFMember("tcp_sock", "bytes_retrans")},
		{"BTF tcp_sock.srtt_us", features.BTFMember("tcp_sock", "srtt_us")},
		{"helper bpf_task_pt_regs (UDP sendto/sendmsg peers)", features.Helper(ebpf.TracePoint, asm.FnTaskPtRegs)},
	}
	for _, h := range Hooks() {
		st := features.Tracepoint(h.Group, h.Event)
		if !st.On {
			st.Reason += "; without it: " + h.WithoutIt
		}
		checks = append(checks, Check{"tracepoint " + h.Group + "/" + h.Event, st})
	}
	return checks
}
