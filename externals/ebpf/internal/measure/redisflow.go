package measure

// Redisflow is the ebpf-net plugin's per-interval Redis aggregate, from
// socket payload capture (l7net_enabled = ["redis"]).
var Redisflow = Register(Measurement{
	Name:     "redisflow",
	Category: "network",
	Plugin:   "ebpf-net",
	Desc: "Redis commands (RESP2 and RESP3, pipelined too) of the host seen at their sockets, aggregated per " +
		"interval by (connection tags, command, error). Both ends are reported: the client's socket with " +
		"direction=outgoing, the server's with direction=incoming. Only the command name is read: its " +
		"arguments (keys, values, AUTH passwords) are never copied. A command is counted in the interval " +
		"its reply ends in.",
	Tags: l7Tags(Httpflow, "redisflow"),
	Fields: []Field{
		{"bytes_read", Int, "B", "Bytes the local process read in these commands and replies (syscall byte counts)"},
		{"bytes_written", Int, "B", "Bytes the local process wrote in these commands and replies"},
		{"command", String, "-", "The command name, upper case (GET, SET, HELLO...); OTHER for a name that is not 1 to 32 letters, digits, `_`, `-` or `.`"},
		{"count", Int, "-", "The number of commands answered in the interval"},
		{"error", String, "-", "The error reply's prefix (ERR, WRONGTYPE, MOVED, NOAUTH...), upper case; empty when the reply is not an error"},
		{"errors", Int, "-", "The number of error replies (simple or blob errors) among them"},
		{"latency", Int, "ns", "Mean time to first byte: from the last send/recv carrying the command to the first carrying its reply"},
		{"latency_max", Int, "ns", "Maximum time to first byte"},
	},
})

// l7Tags are the tags of an L7 measurement in httpflow's style: the same
// connection, process and K8s tags as base, with source fixed to source.
func l7Tags(base *Measurement, source string) []Tag {
	tags := make([]Tag, len(base.Tags))
	for i, t := range base.Tags {
		if t.Name == "source" {
			t.Desc = "Fixed value: " + source
		}
		tags[i] = t
	}
	return tags
}
