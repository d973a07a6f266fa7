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
}

// Hooks are the plugin's tracepoints, in attach order.
func Hooks() []Hook {
	return []Hook{
		{"sock", "inet_sock_set_state", true, "no TCP connections at all",
			func(o *netflowObjects) *ebpf.Program { return o.OnInetSockSetState }},
		{"tcp", "tcp_retransmit_skb", false, "retransmits of idle connections show up only when they send, receive or close",
			func(o *netflowObjects) *ebpf.Program { return o.OnTcpRetransmitSkb }},
		{"sock", "sock_send_length", false, "no UDP flows, no pid for accepted TCP connections, TCP counters only at close",
			func(o *netflowObjects) *ebpf.Program { return o.OnSockSendLength }},
		{"sock", "sock_recv_length", false, "no received UDP bytes, fewer pids for accepted TCP connections",
			func(o *netflowObjects) *ebpf.Program { return o.OnSockRecvLength }},
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
	for _, h := range l7Hooks {
		st := features.Tracepoint("syscalls", h.event)
		if !st.On {
			st.Reason += "; without it: dnsflow of servers on unconnected UDP sockets has no queries"
		}
		checks = append(checks, Check{"tracepoint syscalls/" + h.event + " (httpflow/dnsflow)", st})
	}
	return checks
}
