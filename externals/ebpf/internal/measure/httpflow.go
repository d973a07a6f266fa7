package measure

// Httpflow is the ebpf-net plugin's per-interval HTTP/1.x aggregate, from
// socket payload capture (l7net_enabled = ["httpflow"]).
var Httpflow = Register(Measurement{
	Name:     "httpflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "HTTP/1.x requests of the host seen at their sockets, aggregated per interval by " +
		"(connection tags, method, path, status_code, http_version, truncated). Both ends are " +
		"reported: the client's socket with direction=outgoing, the server's with " +
		"direction=incoming. An exchange is counted in the interval its response ends in.",
	Tags: withK8s([]Tag{
		{"client_ip", "Client IP address"},
		{"client_ip_type", "Client IP type (other/private/multicast; loopback counts as private)"},
		{"client_port", "Client port (`*` when ephemeral)"},
		{"direction", "Use the source (src_ip:src_port) as a frame of reference to identify the connection initiator (incoming/outgoing)"},
		{"dst_domain", "Destination domain: the name whose A/AAAA answer returned dst_ip (`N/A` when unknown)"},
		{"dst_ip", "Destination IP address"},
		{"dst_ip_type", "Destination IP type (other/private/multicast)"},
		{"dst_nat_ip", "For outgoing requests, the IP after DNAT (conntrack's reply source; needs the ebpf-conntrack plugin, `N/A` when there was no DNAT)"},
		{"dst_nat_port", "For outgoing requests, the port after DNAT (`N/A` when there was no DNAT or ebpf-conntrack is off)"},
		{"dst_port", "Destination port (`*` when ephemeral)"},
		{"family", "Network layer protocol (IPv4/IPv6)"},
		{"host", "System hostname"},
		{"pid", "Process identification number of the process that made the request's syscalls"},
		{"process_name", "Process name (comm)"},
		{"process_args", "Arguments of the process after argv[0], at most 256 bytes, secret-looking values replaced by `***` (`--process-args`; `N/A` when off or unknown)"},
		{"process_path", "Executable path of the process as it was exec'ed (`--process-args`; `N/A` when off or unknown)"},
		{"server_domain", "Server domain: the name whose A/AAAA answer returned server_ip (`N/A` when unknown)"},
		{"server_ip", "Server IP"},
		{"server_ip_type", "Server IP type (other/private/multicast)"},
		{"server_port", "Server port"},
		{"source", "Fixed value: httpflow"},
		{"src_ip", "Source IP (the local end of the socket)"},
		{"src_ip_type", "Source IP type (other/private/multicast)"},
		{"src_port", "Source port (`*` when ephemeral)"},
		{"sub_source", "Connection classification (`N/A`; K8s once the Kubernetes issue lands)"},
		{"transport", "Transport layer protocol (tcp)"},
	}, "client", "dst", "server", "src"),
	Fields: []Field{
		{"bytes_read", Int, "B", "Bytes the local process read in these exchanges (syscall byte counts: request and response heads and bodies)"},
		{"bytes_written", Int, "B", "Bytes the local process wrote in these exchanges"},
		{"count", Int, "-", "The number of HTTP requests answered in the interval"},
		{"http_version", String, "-", "1.0 / 1.1 (empty when the capture ended before the version)"},
		{"latency", Int, "ns", "TTFB, the mean over the group: from the last send/recv carrying the request to the first send/recv carrying its response"},
		{"method", String, "-", "GET/POST/...; a method outside the known set (RFC 9110, WebDAV, PURGE, QUERY, M-SEARCH...) is OTHER"},
		{"path", String, "-", "Request path without the query string, fragment or path parameters (`;jsessionid=...`)"},
		{"status_code", Int, "-", "HTTP status code"},
		{"truncated", Bool, "-", "The captured bytes ended inside the path, so the path may be cut short"},
	},
})
