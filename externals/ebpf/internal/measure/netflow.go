package measure

import "netobs.local/agent/externals/ebpf/internal/lp"

// Netflow is the ebpf-net plugin's per-interval connection aggregate.
var Netflow = Register(Measurement{
	Name:     "netflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "TCP connections and UDP flows of the host, aggregated per interval by " +
		"(pid, process, local and remote endpoint, direction). Ephemeral client ports " +
		"collapse to `*`. Counters are the deltas of the interval; a connection that " +
		"closes is reported in the interval it closed in.",
	Tags: withK8s([]Tag{
		{"client_ip", "Client IP address"},
		{"client_ip_type", "Client IP type (other/private/multicast; loopback counts as private)"},
		{"client_port", "Client port (`*` when ephemeral)"},
		{"direction", "Use the source (src_ip:src_port) as a frame of reference to identify the connection initiator (incoming/outgoing)"},
		{"dst_domain", "Destination domain: the name whose DNS A/AAAA answer, seen by dnsflow on this host, gave the remote address (a cache of the latest 8192 addresses); `N/A` when no such answer was seen"},
		{"dst_ip", "Destination IP address"},
		{"dst_ip_type", "Destination IP type (other/private/multicast)"},
		{"dst_nat_ip", "For outgoing data, the IP after DNAT (conntrack's reply source; needs the ebpf-conntrack plugin, `N/A` when there was no DNAT)"},
		{"dst_nat_port", "For outgoing data, the port after DNAT (`N/A` when there was no DNAT or ebpf-conntrack is off)"},
		{"dst_port", "Destination port (`*` when ephemeral)"},
		{"family", "Network layer protocol (IPv4/IPv6)"},
		{"host", "System hostname"},
		{"pid", "Process identification number: the connecting or accepting process, else the first to send or receive (0 when none was seen: a connection accepted before the collector started and closed without any send or receive)"},
		{"process_name", "Process name: the comm of the process (its thread group leader), not of the thread (`N/A` when pid is 0)"},
		{"process_args", "Arguments of the process after argv[0], at most 256 bytes, secret-looking values replaced by `***` (`--process-args`; `N/A` when off or unknown)"},
		{"process_path", "Executable path of the process as it was exec'ed, short-lived processes included (`--process-args`; `N/A` when off or unknown)"},
		{"server_domain", "Server domain: the name whose DNS A/AAAA answer, seen by dnsflow on this host, gave server_ip (the same cache as dst_domain); `N/A` when no such answer was seen"},
		{"server_ip", "Server IP"},
		{"server_ip_type", "Server IP type (other/private/multicast)"},
		{"server_port", "Server port"},
		{"source", "Fixed value: netflow"},
		{"src_ip", "Source IP (the local end of the socket)"},
		{"src_ip_type", "Source IP type (other/private/multicast)"},
		{"src_port", "Source port (`*` when ephemeral)"},
		{"sub_source", "Connection classification (`N/A`; K8s once the Kubernetes issue lands)"},
		{"transport", "Transport layer protocol (udp/tcp)"},
	}, "client", "dst", "server", "src"),
	Fields: []Field{
		{"bytes_read", Int, "B", "The number of payload bytes read (TCP: tcp_sock.bytes_received without the FIN; UDP: received lengths)"},
		{"bytes_written", Int, "B", "The number of payload bytes written, each byte once (TCP: tcp_sock.bytes_sent - bytes_retrans; UDP: sent lengths)"},
		{"retransmits", Int, "count", "The number of retransmitted segments (tcp_sock.total_retrans), TCP only"},
		{"rtt", Int, "µs", "TCP latency: mean over the group's connections of srtt_us>>3, TCP only"},
		{"rtt_var", Int, "µs", "TCP jitter: mean over the group's connections of mdev_us>>2, TCP only"},
		{"tcp_closed", Int, "count", "The number of TCP connections closed in the interval, TCP only"},
		{"tcp_established", Int, "count", "The number of TCP connections established in the interval, TCP only"},
	},
})

// withK8s adds the four Kubernetes tags for each endpoint prefix; their
// value is `N/A` until the Kubernetes issue fills them.
func withK8s(tags []Tag, prefixes ...string) []Tag {
	names := map[string]string{"client": "Client", "dst": "Destination", "server": "Server", "src": "Source"}
	for _, p := range prefixes {
		for _, k := range []string{"deployment_name", "namespace", "pod_name", "service_name"} {
			tags = append(tags, Tag{p + "_k8s_" + k, names[p] + " K8s " + spaced(k) + " (`N/A` until the Kubernetes issue)"})
		}
	}
	sortTags(tags)
	return tags
}

// FlowCounts are one netflow series' counters over an interval, counted by
// sockets (ebpf-net) or from packets (bpf-netlog).
type FlowCounts struct {
	BytesRead, BytesWritten          uint64
	Retransmits, Established, Closed uint64 // TCP only
	RTTSum, RTTN                     uint64 // µs, over RTTN samples
	RTTVarSum                        uint64 // µs, over RTTN samples; see Fields
}

// Fields are the netflow fields: the TCP ones only for tcp, rtt only when
// there was a sample, rtt_var only when withVar (a packet capture has one
// handshake sample, which has no variance).
func (c *FlowCounts) Fields(tcp, withVar bool) []lp.Field {
	fields := []lp.Field{lp.Int("bytes_read", int64(c.BytesRead)), lp.Int("bytes_written", int64(c.BytesWritten))}
	if !tcp {
		return fields
	}
	fields = append(fields, lp.Int("retransmits", int64(c.Retransmits)),
		lp.Int("tcp_established", int64(c.Established)), lp.Int("tcp_closed", int64(c.Closed)))
	if c.RTTN > 0 {
		fields = append(fields, lp.Int("rtt", int64(c.RTTSum/c.RTTN)))
		if withVar {
			fields = append(fields, lp.Int("rtt_var", int64(c.RTTVarSum/c.RTTN)))
		}
	}
	return fields
}
