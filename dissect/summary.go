package dissect

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// AppendSummary appends the one-line summary of p, in the format of Cilium
// monitor's GetConnectionSummary:
//
//	10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN, ACK
//	[fd00::1]:5353 -> [ff02::fb]:5353 udp
//	10.0.0.1 -> 10.0.0.2 EchoRequest
//	10.0.0.1 -> 10.0.0.2                       (IP, other protocol)
//	02:00:00:00:00:01 -> ff:ff:ff:ff:ff:ff ARP  (not IP)
//
// A VXLAN packet is summarised by its inner packet, followed by
// ` vxlan vni N (outerSrc -> outerDst)`.
func AppendSummary(b []byte, p *Packet) []byte {
	switch {
	case p.Proto == ProtoICMPv4 || p.Proto == ProtoICMPv6:
		b = p.Src.AppendTo(b)
		b = append(b, " -> "...)
		b = p.Dst.AppendTo(b)
		b = append(b, ' ')
		b = appendICMP(b, p)
	case p.Proto == ProtoTCP || p.Proto == ProtoUDP:
		b = netip.AddrPortFrom(p.Src, p.SrcPort).AppendTo(b)
		b = append(b, " -> "...)
		b = netip.AddrPortFrom(p.Dst, p.DstPort).AppendTo(b)
		b = append(b, ' ')
		b = append(b, p.Proto.String()...)
		if p.Proto == ProtoTCP {
			b = AppendFlags(b, p.Flags)
		}
	case p.IsIP():
		b = p.Src.AppendTo(b)
		b = append(b, " -> "...)
		b = p.Dst.AppendTo(b)
	case p.EtherType != 0:
		b = append(b, net.HardwareAddr(p.SrcMAC[:]).String()...)
		b = append(b, " -> "...)
		b = append(b, net.HardwareAddr(p.DstMAC[:]).String()...)
		b = append(b, ' ')
		b = append(b, p.EtherType.String()...)
	default:
		b = append(b, "[unknown]"...)
	}
	if p.VXLAN {
		b = append(b, " vxlan vni "...)
		b = strconv.AppendUint(b, uint64(p.VNI), 10)
		b = append(b, " ("...)
		b = p.Outer.Src.AppendTo(b)
		b = append(b, " -> "...)
		b = p.Outer.Dst.AppendTo(b)
		b = append(b, ')')
	}
	return b
}

// Summary returns AppendSummary of p as a string.
func Summary(p *Packet) string { return string(AppendSummary(nil, p)) }

var flagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// AppendFlags appends " SYN, ACK"-style TCP flag names (Cilium's order:
// SYN, ACK, RST, FIN, PSH, URG, ECE, CWR), or nothing when no flag is set.
func AppendFlags(b []byte, flags uint8) []byte {
	first := true
	for _, bit := range [8]uint8{SYN, ACK, RST, FIN, PSH, URG, ECE, CWR} {
		if flags&bit == 0 {
			continue
		}
		if first {
			b = append(b, ' ')
			first = false
		} else {
			b = append(b, ", "...)
		}
		for i := range flagNames {
			if bit == 1<<i {
				b = append(b, flagNames[i]...)
			}
		}
	}
	return b
}

func appendICMP(b []byte, p *Packet) []byte {
	if p.Proto == ProtoICMPv4 {
		return append(b, layers.ICMPv4TypeCode(p.ICMPTypeCode).String()...)
	}
	return append(b, layers.ICMPv6TypeCode(p.ICMPTypeCode).String()...)
}
