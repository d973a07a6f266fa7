package measure

// Pgsqlflow is the ebpf-net plugin's per-interval PostgreSQL aggregate,
// from socket payload capture (l7net_enabled = ["pgsql"]).
var Pgsqlflow = Register(Measurement{
	Name:     "pgsqlflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "PostgreSQL requests (v3 wire protocol: simple queries, and extended-protocol sequences up to their " +
		"Sync) of the host seen at their sockets, aggregated per interval by (connection tags, statement, " +
		"sqlstate). Both ends are reported: the client's socket with direction=outgoing, the server's with " +
		"direction=incoming. Only the statement's first keyword is read: its text, the startup parameters and " +
		"password messages are never copied. A request is counted in the interval its ReadyForQuery arrives in.",
	Tags: l7Tags(Httpflow, "pgsqlflow"),
	Fields: []Field{
		{"bytes_read", Int, "B", "Bytes the local process read in these requests and answers (message sizes)"},
		{"bytes_written", Int, "B", "Bytes the local process wrote in these requests and answers"},
		{"count", Int, "-", "The number of requests answered in the interval"},
		{"errors", Int, "-", "The number of requests answered with an ErrorResponse"},
		{"latency", Int, "ns", "Mean time to first byte: from the last send/recv carrying the request to the first carrying its answer"},
		{"latency_max", Int, "ns", "Maximum time to first byte"},
		{"sqlstate", String, "-", "The SQLSTATE of the first ErrorResponse (23505 unique_violation, 42601 syntax_error...); empty without one"},
		{"statement", String, "-", "The statement kind: its first keyword (SELECT, INSERT, BEGIN...), OTHER when unknown; for an extended sequence that of its first Parse or Bind (a named statement's kind remembered from its Parse)"},
	},
})
