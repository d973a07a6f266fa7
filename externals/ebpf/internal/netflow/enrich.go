package netflow

import "net/netip"

// Processes is what netflow asks about a record's process: whether it is
// observed at all (process selection) and its process_path and
// process_args tag values (empty: unknown or not enabled).
type Processes interface {
	Observe(pid uint32) bool
	Tags(pid uint32) (path, args string)
}

// NAT resolves where a DNAT rule sent an outgoing flow, by the flow as the
// socket sees it (its netns inode, transport "tcp"/"udp", local and remote
// end): conntrack's original tuple.
type NAT interface {
	DstNAT(netns uint32, transport string, local, remote netip.AddrPort) (netip.AddrPort, bool)
}
