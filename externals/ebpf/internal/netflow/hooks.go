package netflow

import (
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"netobs.local/agent/externals/ebpf/features"
)

// Hook is one kind of event the plugin observes, with the ways a kernel
// may offer to observe it, best first.
type Hook struct {
	Event     string // what it observes, in the report and the logs
	Required  bool
	WithoutIt string // what is lost when no way is available
	ways      []way
	recvExit  bool // finishes unconnected UDP recvs: attached with the others, on demand (recvexits.go)
	// onIO marks the hooks that run on sends and receives, and those that
	// only serve them: attached only when something needs them (see
	// plan), since their dispatch alone costs a busy server.
	onIO bool
}

// A way is a kind of hook and, per attach point, the program that runs
// there. All of its attach points must be there for it to be used.
type way struct {
	kind   features.HookKind
	points []attachPoint
}

type attachPoint struct {
	target string // "group/event" of a tracepoint; the function or raw tracepoint otherwise
	prog   string // the program's name in the object
}

func (w way) String() string {
	var t []string
	for _, p := range w.points {
		t = append(t, p.target)
	}
	return string(w.kind) + " " + strings.Join(t, "+")
}

// Probe is on when every attach point is there, else the first reason.
func (w way) Probe() features.Status {
	for _, p := range w.points {
		if st := (features.Hook{Kind: w.kind, Target: p.target}).Probe(); !st.On {
			return st
		}
	}
	return features.Status{On: true}
}

func tracepoint(groupEvent, prog string) way {
	return way{features.KindTracepoint, []attachPoint{{groupEvent, prog}}}
}

// recvExitLoss is what is lost without one of the recv exits: the sender
// of a datagram read from an unconnected socket is known only there.
const recvExitLoss = "UDP received on unconnected sockets (servers, sendto/recvfrom clients) is booked against the " +
	"unknown peer 0.0.0.0:0, and dnsflow of such servers has no queries"

// tcpAtFlush is the hook that counts TCP without the send/recv hooks: the
// flush iterators where the kernel loads them, else its socket diagnostics.
const tcpAtFlush = "tcp counters and processes at flush"

// Hooks are the plugin's hooks, in attach order. Sends and receives have
// three ways: tp_btf (cheapest per run: no perf trace record is built),
// the classic tracepoint, both from 6.3, and before that fexit on the
// inet send/recv functions (see on_inet_io in netflow.c).
func Hooks() []Hook {
	return []Hook{
		{Event: "tcp state changes", Required: true, WithoutIt: "no TCP connections at all",
			ways: []way{
				{features.KindTPBTF, []attachPoint{{"inet_sock_set_state", netflowProgOnInetSockSetStateBtf}}},
				tracepoint("sock/inet_sock_set_state", netflowProgOnInetSockSetState),
			}},
		{Event: "tcp retransmits", WithoutIt: "retransmits of idle connections show up only when they send, receive or close",
			ways: []way{tracepoint("tcp/tcp_retransmit_skb", netflowProgOnTcpRetransmitSkb)}},
		{Event: tcpAtFlush, WithoutIt: "TCP is counted on sends and receives, whose hooks are then always attached",
			ways: []way{
				{features.KindIter, []attachPoint{{"bpf_map_elem", netflowProgRefreshConns}, {"task_file", netflowProgAttributeSockets}}},
				{features.KindSockDiag, []attachPoint{{"tcp", ""}}}, // no program: sockdiag.go
			}},
		{Event: "socket sends", onIO: true, WithoutIt: "no UDP flows, no L7 capture, no pid for accepted TCP connections, TCP counters only at close",
			ways: []way{
				{features.KindTPBTF, []attachPoint{{"sock_send_length", netflowProgOnSockSendLengthBtf}}},
				tracepoint("sock/sock_send_length", netflowProgOnSockSendLength),
				{features.KindFexit, []attachPoint{{"inet_sendmsg", netflowProgOnInetSendmsgFexit}, {"inet6_sendmsg", netflowProgOnInet6SendmsgFexit}}},
			}},
		{Event: "socket receives", onIO: true, WithoutIt: "no received UDP bytes, no L7 capture, fewer pids for accepted TCP connections",
			ways: []way{
				{features.KindTPBTF, []attachPoint{{"sock_recv_length", netflowProgOnSockRecvLengthBtf}}},
				tracepoint("sock/sock_recv_length", netflowProgOnSockRecvLength),
				{features.KindFexit, []attachPoint{{"inet_recvmsg", netflowProgOnInetRecvmsgFexit}, {"inet6_recvmsg", netflowProgOnInet6RecvmsgFexit}}},
			}},
		{Event: "UDP receive senders", onIO: true, WithoutIt: "the senders of datagrams read from unconnected UDP sockets come from the recv exits, attached on demand",
			ways: []way{{features.KindCgroupSockAddr, []attachPoint{{"recvmsg4", netflowProgOnUdp4Recvmsg}, {"recvmsg6", netflowProgOnUdp6Recvmsg}}}}},
		{Event: "recvfrom returns", WithoutIt: recvExitLoss, recvExit: true, onIO: true,
			ways: []way{tracepoint("syscalls/sys_exit_recvfrom", netflowProgOnSysExitRecvfrom)}},
		{Event: "recvmsg returns", WithoutIt: recvExitLoss, recvExit: true, onIO: true,
			ways: []way{tracepoint("syscalls/sys_exit_recvmsg", netflowProgOnSysExitRecvmsg)}},
		{Event: "recvmmsg returns", WithoutIt: recvExitLoss, recvExit: true, onIO: true,
			ways: []way{tracepoint("syscalls/sys_exit_recvmmsg", netflowProgOnSysExitRecvmmsg)}},
	}
}

// choice is the way this kernel offers for h.
func (h Hook) choice() features.Choice[way] { return features.Choose(h.Event, h.ways...) }

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports everything the plugin depends on, on this kernel, with
// the way each hook is observed and why better ways were passed over.
func Features() []Check {
	checks := []Check{
		{"privileges", features.Root()},
		{"map ringbuf", features.RingBuf()},
		{"BTF tcp_sock.bytes_received (CO-RE counters)", features.BTFMember("tcp_sock", "bytes_received")},
		{"BTF tcp_sock.bytes_sent", features.BTFMember("tcp_sock", "bytes_sent")},
		{"BTF tcp_sock.bytes_retrans", features.BTFMember("tcp_sock", "bytes_retrans")},
		{"BTF tcp_sock.srtt_us", features.BTFMember("tcp_sock", "srtt_us")},
		{"helper bpf_task_pt_regs (else the stack-top registers)", features.Helper(ebpf.TracePoint, asm.FnTaskPtRegs)},
	}
	for _, h := range Hooks() {
		st := h.choice().AsStatus()
		if !st.On {
			st.Reason += "; without it: " + h.WithoutIt
		} else if h.recvExit {
			st.Reason += ", attached only where the cgroup hooks cannot name UDP senders (--udp-recv-peers)"
		} else if h.onIO {
			st.Reason += ", attached only for UDP flows, dnsflow or httpflow (or for TCP, where nothing reads it at the flush)"
		}
		checks = append(checks, Check{"hook " + h.Event, st})
	}
	return checks
}
