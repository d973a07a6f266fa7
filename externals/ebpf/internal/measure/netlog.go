package measure

// netlogTags are the tags both bpf-netlog logs share.
func netlogTags(extra ...Tag) []Tag {
	tags := append([]Tag{
		{"client_ip", "The IP address of the client"},
		{"client_port", "Client port"},
		{"conn_side", "The side of the connection the interface is on: client/server/unknown (unknown when the handshake was not seen)"},
		{"direction", "Use the source (src_ip:src_port) as a frame of reference to identify the connection initiator (incoming/outgoing); without a seen handshake the lower port is taken for the server"},
		{"dst_ip", "The IP address of the foreign end"},
		{"dst_port", "Foreign port"},
		{"host", "Host name"},
		{"host_network", "Whether the data was collected in the host's network namespace (true/false)"},
		{"inner_traceid", "Correlates the layer 4 and layer 7 network logs of one TCP connection on one interface (same value on every chunk)"},
		{"k8s_container_name", "Kubernetes container name (`N/A` until the Kubernetes issue)"},
		{"k8s_namespace", "Kubernetes namespace (`N/A` until the Kubernetes issue)"},
		{"k8s_pod_name", "Kubernetes pod name (`N/A` until the Kubernetes issue)"},
		{"l4_proto", "Transport protocol (TCP)"},
		{"l7_proto", "Application protocol (HTTP when an HTTP/1.x message was seen, else N/A)"},
		{"netns", "Network namespace, format: NS(<device id>:<inode number>)"},
		{"nic_mac", "MAC address of the collected network interface"},
		{"nic_name", "Name of the collected network interface"},
		{"server_ip", "The IP address of the server"},
		{"server_port", "Server port"},
		{"src_ip", "The IP address of the local end (on lo: the client)"},
		{"src_port", "Local port"},
		{"sub_source", "Connection classification (`N/A`; K8s once the Kubernetes issue lands)"},
		{"virtual_nic", "Whether the interface is virtual (true/false)"},
		{"vni_id", "VXLAN Network Identifier (0 when not VXLAN)"},
		{"vxlan_packet", "Whether the connection was carried in VXLAN (the inner connection is logged) (true/false)"},
	}, extra...)
	return withK8s(tags, "dst", "src")
}

// NetL4Log is bpf-netlog's per-connection, per-interface TCP log.
var NetL4Log = Register(Measurement{
	Name:     "bpf_net_l4_log",
	Category: "logging",
	Plugin:   "bpf-netlog",
	Desc: "One TCP connection as one network interface saw it, from packets captured with AF_PACKET " +
		"in every network namespace. A connection is cut into chunks (`chunk_id` 1, 2, ...) every " +
		"interval or segment budget; a closed connection's last chunk is emitted once it has been quiet " +
		"for a second. rx/tx are from the interface's point of view; bytes are TCP payload bytes.",
	Tags: netlogTags(),
	Fields: []Field{
		{"chunk_id", Int, "-", "Chunk number of this connection on this interface, from 1"},
		{"message", String, "-", "One-line summary of the connection, Cilium monitor style: `client:port -> server:port tcp` and its flags seen"},
		{"rx_bytes", Int, "B", "TCP payload bytes received by the interface"},
		{"rx_packets", Int, "count", "Packets received by the interface"},
		{"rx_retrans", Int, "count", "Received segments that carried no new data (retransmissions)"},
		{"rx_seq_max", Int, "-", "Largest TCP sequence number received (32-bit unsigned)"},
		{"rx_seq_min", Int, "-", "Smallest TCP sequence number received (32-bit unsigned)"},
		{"tcp_syn_retrans", Int, "count", "Retransmitted SYN packets (every SYN after the first of the same side)"},
		{"tx_bytes", Int, "B", "TCP payload bytes sent by the interface"},
		{"tx_packets", Int, "count", "Packets sent by the interface"},
		{"tx_retrans", Int, "count", "Sent segments that carried no new data (retransmissions)"},
		{"tx_seq_max", Int, "-", "Largest TCP sequence number sent (32-bit unsigned)"},
		{"tx_seq_min", Int, "-", "Smallest TCP sequence number sent (32-bit unsigned)"},
	},
})

// NetL7Log is bpf-netlog's per-request HTTP log.
var NetL7Log = Register(Measurement{
	Name:     "bpf_net_l7_log",
	Category: "logging",
	Plugin:   "bpf-netlog",
	Desc: "One HTTP/1.x request and its response as one network interface saw them. `inner_traceid` " +
		"joins it to the connection's bpf_net_l4_log; `l7_traceid` is the same for the same request seen " +
		"on any interface (it is derived from the request's TCP sequence and acknowledgement numbers, " +
		"which survive NAT and encapsulation). A request without a response is logged with status 0.",
	Tags: netlogTags(
		Tag{"l7_traceid", "Correlates the layer 7 logs of one request on every collected interface"},
		Tag{"parent_id", "Parent span id from the request's W3C traceparent (hex) or x-datadog-parent-id (decimal) header; N/A without one"},
		Tag{"trace_id", "Trace id from the request's W3C traceparent (hex) or x-datadog-trace-id (decimal) header; N/A without one"},
	),
	Fields: []Field{
		{"http_method", String, "-", "HTTP method; OTHER outside the known set, as httpflow"},
		{"http_path", String, "-", "HTTP path, without the query string, fragment or path parameters"},
		{"http_status_code", Int, "-", "HTTP status code (0: no response seen)"},
		{"message", String, "-", "One-line summary: `client:port -> server:port tcp METHOD PATH STATUS`"},
		{"rx_seq", Int, "-", "TCP sequence number of the first byte of the request or response the interface received"},
		{"tx_seq", Int, "-", "TCP sequence number of the first byte of the request or response the interface sent"},
	},
})
