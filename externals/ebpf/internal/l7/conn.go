package l7

import (
	"net/netip"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// ConnInfo is the connection-level identity of an exchange, seen from the
// process that made the syscalls. It is comparable, so aggregators key maps
// by it.
type ConnInfo struct {
	Pid   uint32
	Comm  string
	Proto Proto
	// Local is the observed process's end, Remote the peer.
	Local, Remote netip.AddrPort
	// Outgoing is true when the local end initiated the exchange (the client
	// side of HTTP, the querier of DNS), i.e. direction=outgoing.
	Outgoing bool
}

// Family returns "IPv4" or "IPv6", the values of the family tag.
func (c ConnInfo) Family() string {
	if c.Local.Addr().Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// Client returns the end that initiated the exchange.
func (c ConnInfo) Client() netip.AddrPort {
	if c.Outgoing {
		return c.Local
	}
	return c.Remote
}

// Server returns the end that answered.
func (c ConnInfo) Server() netip.AddrPort {
	if c.Outgoing {
		return c.Remote
	}
	return c.Local
}

// TagFunc appends the connection-level tags of c to dst (src/dst and
// client/server ip and port, ip types, direction, family, transport, pid,
// process_name; ephemeral ports collapsed) and returns the result. The
// collector injects flowtags' builder here (see collect.FlowTags) so that
// netflow, httpflow and dnsflow tag connections identically.
type TagFunc func(dst []lp.Tag, c ConnInfo) []lp.Tag

// Stage is the enrichment-and-selection stage (package enrich) as the
// aggregators see it. It is asked at flush, when the process's exec record
// has long arrived.
type Stage interface {
	// Observe reports whether records of pid are wanted.
	Observe(pid uint32) bool
	// Enrich appends the tags the stage knows of c (process_path, ...).
	Enrich(dst []lp.Tag, c ConnInfo) []lp.Tag
}
