package measure

// Memcachedflow is the ebpf-net plugin's per-interval memcached aggregate,
// from socket payload capture (l7net_enabled = ["memcached"]).
var Memcachedflow = Register(Measurement{
	Name:     "memcachedflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "memcached commands (text protocol) of the host seen at their sockets, aggregated per interval by " +
		"(connection tags, command, error). Both ends are reported: the client's socket with direction=outgoing, " +
		"the server's with direction=incoming. Only the command name is read, never a key or a value; noreply " +
		"commands have no answer and are not counted.",
	Tags: l7Tags(Httpflow, "memcachedflow"),
	Fields: []Field{
		{"bytes_read", Int, "B", "Bytes the local process read in these commands and responses"},
		{"bytes_written", Int, "B", "Bytes the local process wrote in these commands and responses"},
		{"command", String, "-", "The command (get, set, delete, incr, stats...); OTHER when unknown"},
		{"count", Int, "-", "The number of commands answered in the interval"},
		{"error", String, "-", "ERROR, CLIENT_ERROR or SERVER_ERROR; empty otherwise (NOT_FOUND and NOT_STORED are answers, not errors)"},
		{"errors", Int, "-", "The number of commands answered with an error"},
		{"latency", Int, "ns", "Mean time to first byte: from the last send/recv carrying the command to the first carrying its response"},
		{"latency_max", Int, "ns", "Maximum time to first byte"},
	},
})
