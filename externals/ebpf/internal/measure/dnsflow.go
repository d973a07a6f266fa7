package measure

// Dnsflow is the ebpf-net plugin's per-interval DNS aggregate, from socket
// payload capture; it is on whenever ebpf-net is.
var Dnsflow = Register(Measurement{
	Name:     "dnsflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "DNS queries of the host seen at their sockets (UDP, and TCP with its length " +
		"framing), aggregated per interval by (connection tags, dst_domain, rcode). Both " +
		"the querier (direction=outgoing) and a local server (direction=incoming) are " +
		"reported. A query unanswered within the timeout is counted once with rcode -1.",
	Tags: withK8s([]Tag{
		{"client_ip", "Client (querier) IP address"},
		{"client_ip_type", "Client IP type (other/private/multicast)"},
		{"client_port", "Client port (`*` when ephemeral)"},
		{"direction", "Use the source (src_ip:src_port) as a frame of reference to identify the connection initiator (incoming/outgoing)"},
		{"dst_domain", "The query name, lower case, without the final dot"},
		{"dst_ip", "Destination IP address"},
		{"dst_ip_type", "Destination IP type (other/private/multicast)"},
		{"dst_nat_ip", "For outgoing querys, the IP after DNAT (conntrack's reply source; needs the ebpf-conntrack plugin, `N/A` when there was no DNAT)"},
		{"dst_nat_port", "For outgoing querys, the port after DNAT (`N/A` when there was no DNAT or ebpf-conntrack is off)"},
		{"dst_port", "Destination port (`*` when ephemeral)"},
		{"family", "Network layer protocol (IPv4/IPv6)"},
		{"host", "System hostname"},
		{"pid", "Process identification number of the process that sent or received the query"},
		{"process_name", "Process name (comm)"},
		{"process_args", "Arguments of the process after argv[0], at most 256 bytes, secret-looking values replaced by `***` (`--process-args`; `N/A` when off or unknown)"},
		{"process_path", "Executable path of the process as it was exec'ed (`--process-args`; `N/A` when off or unknown)"},
		{"server_ip", "Server (resolver) IP"},
		{"server_ip_type", "Server IP type (other/private/multicast)"},
		{"server_port", "Server port"},
		{"source", "Fixed value: dnsflow"},
		{"src_ip", "Source IP (the local end of the socket)"},
		{"src_ip_type", "Source IP type (other/private/multicast)"},
		{"src_port", "Source port (`*` when ephemeral)"},
		{"sub_source", "Connection classification (`N/A`; K8s once the Kubernetes issue lands)"},
		{"transport", "Transport layer protocol (udp/tcp)"},
	}, "dst", "src"),
	Fields: []Field{
		{"count", Int, "-", "The number of DNS queries in the interval"},
		{"latency", Int, "ns", "Mean response time (for rcode -1: the time waited, at most the timeout)"},
		{"latency_max", Int, "ns", "Maximum response time"},
		{"rcode", Int, "-", "DNS response code: 0 NoError, 1 FormErr, 2 ServFail, 3 NXDomain, 4 NotImp, 5 Refused, ...; -1: no answer within the timeout"},
	},
})
