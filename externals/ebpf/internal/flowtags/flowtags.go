// Package flowtags builds the endpoint tags that netflow, httpflow and
// dnsflow share: src/dst (the local socket's view), client/server (who
// opened the connection), ip types, direction, family, transport, and the
// collapse of ephemeral client ports to "*".
//
// Usage:
//
//	b := flowtags.Builder{EphemeralStart: 32768}
//	tags := b.Build(flowtags.Flow{Transport: "tcp", Local: l, Remote: r, Outgoing: true})
//	pt.Tags = tags.Append(pt.Tags)
package flowtags

import (
	"net/netip"
	"strconv"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Flow is one connection or datagram flow seen from a local socket.
type Flow struct {
	Transport string // "tcp" or "udp"
	Local     netip.AddrPort
	Remote    netip.AddrPort
	Outgoing  bool // the local end opened the connection (it is the client)
	// DstNAT is where a DNAT rule sent an outgoing flow (conntrack's reply
	// source); the zero value when there was none or it is unknown.
	DstNAT netip.AddrPort
}

// Endpoint is one end's tag values.
type Endpoint struct {
	IP     string
	IPType string // see IPType
	Port   string // a number, or "*" for a collapsed ephemeral client port
}

// Tags are the shared tags of one flow.
type Tags struct {
	Direction string // "outgoing" when the local end (src) is the client, else "incoming"
	Family    string // "IPv4" or "IPv6"; IPv4-mapped IPv6 addresses count as IPv4
	Transport string
	Src, Dst  Endpoint // local and remote end
	Client    Endpoint
	Server    Endpoint
	DstNAT    netip.AddrPort // outgoing flows only; see Flow.DstNAT
}

// Builder holds what tag building depends on.
type Builder struct {
	// EphemeralStart is the first ephemeral port (ip_local_port_range's lower
	// bound). A client port at or above it becomes "*", so that the many
	// connections of one client to one server aggregate into one series.
	// Zero disables the collapse.
	EphemeralStart uint16
}

// Build computes the tags of f.
func (b Builder) Build(f Flow) Tags {
	f = b.Canonical(f)
	local, remote := f.Local, f.Remote
	t := Tags{Direction: "incoming", Family: "IPv6", Transport: f.Transport}
	if local.Addr().Is4() {
		t.Family = "IPv4"
	}
	client, server := remote, local
	if f.Outgoing {
		t.Direction = "outgoing"
		client, server = local, remote
	}
	if f.Outgoing && f.DstNAT.IsValid() {
		t.DstNAT = netip.AddrPortFrom(f.DstNAT.Addr().Unmap(), f.DstNAT.Port())
	}
	t.Client = b.endpoint(client, true)
	t.Server = b.endpoint(server, false)
	t.Src, t.Dst = t.Server, t.Client
	if f.Outgoing {
		t.Src, t.Dst = t.Client, t.Server
	}
	return t
}

// Canonical is f with what Build does not tell apart removed: addresses
// unmapped, a collapsed ephemeral client port set to the first ephemeral
// port (Build writes "*" for any of them). Flows with equal Canonical
// forms have equal tags, so a caller can cache Build by it.
func (b Builder) Canonical(f Flow) Flow {
	f.Local = netip.AddrPortFrom(f.Local.Addr().Unmap(), f.Local.Port())
	f.Remote = netip.AddrPortFrom(f.Remote.Addr().Unmap(), f.Remote.Port())
	client := &f.Remote
	if f.Outgoing {
		client = &f.Local
	}
	if b.ephemeral(client.Port()) {
		*client = netip.AddrPortFrom(client.Addr(), b.EphemeralStart)
	}
	return f
}

func (b Builder) ephemeral(port uint16) bool {
	return b.EphemeralStart != 0 && port >= b.EphemeralStart
}

func (b Builder) endpoint(ap netip.AddrPort, isClient bool) Endpoint {
	e := Endpoint{IP: ap.Addr().String(), IPType: IPType(ap.Addr()), Port: strconv.Itoa(int(ap.Port()))}
	if isClient && b.ephemeral(ap.Port()) {
		e.Port = "*"
	}
	return e
}

// IPType classifies an address as the seed's ip types: "multicast",
// "private" (RFC 1918, RFC 4193 unique-local, link-local, and loopback,
// which never leaves the host either) or "other" (everything routable,
// and the unspecified address).
func IPType(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsMulticast():
		return "multicast"
	case a.IsPrivate(), a.IsLoopback(), a.IsLinkLocalUnicast():
		return "private"
	default:
		return "other"
	}
}

// Append appends every tag of t to dst: direction, family, transport and
// the ip, ip_type and port of src, dst, client and server.
func (t Tags) Append(dst []lp.Tag) []lp.Tag {
	dst = append(dst,
		lp.Tag{Key: "direction", Value: t.Direction},
		lp.Tag{Key: "family", Value: t.Family},
		lp.Tag{Key: "transport", Value: t.Transport})
	for _, e := range []struct {
		prefix string
		ep     Endpoint
	}{{"src", t.Src}, {"dst", t.Dst}, {"client", t.Client}, {"server", t.Server}} {
		dst = append(dst,
			lp.Tag{Key: e.prefix + "_ip", Value: e.ep.IP},
			lp.Tag{Key: e.prefix + "_ip_type", Value: e.ep.IPType},
			lp.Tag{Key: e.prefix + "_port", Value: e.ep.Port})
	}
	return dst
}

// AppendNAT appends dst_nat_ip and dst_nat_port: the DNAT destination of
// an outgoing flow, N/A when there is none (measurements that declare the
// two tags call it after Append).
func (t Tags) AppendNAT(dst []lp.Tag) []lp.Tag {
	ip, port := "N/A", "N/A"
	if t.DstNAT.IsValid() {
		ip, port = t.DstNAT.Addr().String(), strconv.Itoa(int(t.DstNAT.Port()))
	}
	return append(dst, lp.Tag{Key: "dst_nat_ip", Value: ip}, lp.Tag{Key: "dst_nat_port", Value: port})
}
