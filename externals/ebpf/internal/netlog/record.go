package netlog

import (
	"net/netip"

	"netobs.local/agent/dissect"
	"netobs.local/agent/filter"
)

// field is a filter.Netlog field, by meaning rather than schema index.
type field uint8

const (
	fNone field = iota
	fTCP
	fUDP
	fIPv4
	fIPv6
	fSrcPort
	fDstPort
	fIPSaddr
	fIPDaddr
	fIP6Saddr
	fIP6Daddr
	fSrcPod
	fDstPod
)

// fieldAt maps a filter.Netlog index to its field, resolved once by name so
// the record does not depend on the schema's order.
var fieldAt = func() []field {
	names := map[string]field{"tcp": fTCP, "udp": fUDP, "ipv4": fIPv4, "ipv6": fIPv6, "src_port": fSrcPort, "dst_port": fDstPort,
		"ip_saddr": fIPSaddr, "ip_daddr": fIPDaddr, "ip6_saddr": fIP6Saddr, "ip6_daddr": fIP6Daddr, "k8s_src_pod": fSrcPod, "k8s_dst_pod": fDstPod}
	fs := filter.Netlog.Fields()
	out := make([]field, len(fs))
	for i, f := range fs {
		out[i] = names[f.Name]
	}
	return out
}()

// packetRecord is a packet as the blacklist sees it: src is the end on the
// observed interface's side (the sender of a sent packet, the receiver of a
// received one), as the seed defines src_port.
type packetRecord struct {
	p        *dissect.Packet
	src, dst netip.AddrPort
	proto    dissect.Proto
	names    *addrNames
}

// set points the record at p. srcIsLocal is false for a received packet.
func (r *packetRecord) set(p *dissect.Packet, srcIsLocal bool) {
	r.p, r.proto = p, p.Proto
	r.src, r.dst = netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	if !srcIsLocal {
		r.src, r.dst = r.dst, r.src
	}
}

// setOuter points the record at a VXLAN packet's tunnel (UDP).
func (r *packetRecord) setOuter(p *dissect.Packet, srcIsLocal bool) {
	r.p, r.proto = p, dissect.ProtoUDP
	r.src, r.dst = p.Outer.Src, p.Outer.Dst
	if !srcIsLocal {
		r.src, r.dst = r.dst, r.src
	}
}

func (r *packetRecord) field(i int) field {
	if i < 0 || i >= len(fieldAt) {
		return fNone
	}
	return fieldAt[i]
}

// Bool implements filter.Record.
func (r *packetRecord) Bool(i int) bool {
	switch r.field(i) {
	case fTCP:
		return r.proto == dissect.ProtoTCP
	case fUDP:
		return r.proto == dissect.ProtoUDP
	case fIPv4:
		return r.src.Addr().Is4()
	case fIPv6:
		return r.src.Addr().Is6()
	}
	return false
}

// Int implements filter.Record.
func (r *packetRecord) Int(i int) int64 {
	switch r.field(i) {
	case fSrcPort:
		return int64(r.src.Port())
	case fDstPort:
		return int64(r.dst.Port())
	}
	return 0
}

// Str implements filter.Record. Pod names are empty until the Kubernetes
// issue lands.
func (r *packetRecord) Str(i int) string {
	switch r.field(i) {
	case fIPSaddr:
		return r.names.v4(r.src.Addr())
	case fIPDaddr:
		return r.names.v4(r.dst.Addr())
	case fIP6Saddr:
		return r.names.v6(r.src.Addr())
	case fIP6Daddr:
		return r.names.v6(r.dst.Addr())
	}
	return ""
}

// addrNames caches the text of addresses, so that rules on addresses do
// not allocate per packet. It is bounded: when full it starts over.
type addrNames struct{ m map[netip.Addr]string }

const maxAddrNames = 4096

func (n *addrNames) text(a netip.Addr) string {
	if s, ok := n.m[a]; ok {
		return s
	}
	if n.m == nil || len(n.m) >= maxAddrNames {
		n.m = make(map[netip.Addr]string, 64)
	}
	s := a.String()
	n.m[a] = s
	return s
}

func (n *addrNames) v4(a netip.Addr) string {
	if !a.Is4() {
		return ""
	}
	return n.text(a)
}

func (n *addrNames) v6(a netip.Addr) string {
	if !a.Is6() {
		return ""
	}
	return n.text(a)
}
