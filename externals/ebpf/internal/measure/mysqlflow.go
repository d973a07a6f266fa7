package measure

// Mysqlflow is the ebpf-net plugin's per-interval MySQL/MariaDB aggregate,
// from socket payload capture (l7net_enabled = ["mysql"]).
var Mysqlflow = Register(Measurement{
	Name:     "mysqlflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "MySQL and MariaDB commands (COM_QUERY, COM_STMT_PREPARE/EXECUTE and the one-packet commands) of the " +
		"host seen at their sockets, aggregated per interval by (connection tags, statement, error). Both ends " +
		"are reported: the client's socket with direction=outgoing, the server's with direction=incoming. Only " +
		"the statement's first keyword is read: its text, the handshake response and authentication packets are " +
		"never copied. A command is counted in the interval its response ends in.",
	Tags: l7Tags(Httpflow, "mysqlflow"),
	Fields: []Field{
		{"bytes_read", Int, "B", "Bytes the local process read in these commands and responses (packet sizes)"},
		{"bytes_written", Int, "B", "Bytes the local process wrote in these commands and responses"},
		{"count", Int, "-", "The number of commands answered in the interval"},
		{"error", String, "-", "An ERR packet's code and SQLSTATE, `code:SQLSTATE` (1064:42000 syntax error, 1062:23000 duplicate key); empty without one"},
		{"errors", Int, "-", "The number of commands answered with an ERR packet"},
		{"latency", Int, "ns", "Mean time to first byte: from the last send/recv carrying the command to the first carrying its response"},
		{"latency_max", Int, "ns", "Maximum time to first byte"},
		{"statement", String, "-", "The statement kind: its first keyword (SELECT, INSERT...), OTHER when unknown or for a command without a statement; COM_STMT_EXECUTE takes its prepared statement's kind"},
	},
})
