// Package dissect decodes captured frames into the few facts a network log
// needs (addresses, ports, TCP flags and sequence numbers, the payload, the
// VXLAN encapsulation) without allocating per packet, and prints the
// one-line summary of a packet in the style of Cilium's monitor:
// `sIP:sPort -> dIP:dPort tcp SYN` or, for ICMP, `sIP -> dIP EchoRequest`.
//
// It is a neutral package, like filter/: bpf-netlog decodes with it in the
// collector, and the supervisor's `datakit tool dissect FILE.pcap` calls
// RunTool, so neither binary links the other's code.
package dissect

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Proto is the transport protocol of a decoded packet.
type Proto uint8

const (
	ProtoNone Proto = iota // not IP, or an IP protocol we do not decode
	ProtoTCP
	ProtoUDP
	ProtoICMPv4
	ProtoICMPv6
)

func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMPv4:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return ""
}

// TCP flag bits as in the TCP header's flags byte.
const (
	FIN uint8 = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// VXLANPorts are the UDP destination ports unwrapped as VXLAN: IANA's 4789
// and 8472, the Linux kernel's historical default that flannel uses.
var VXLANPorts = [2]uint16{4789, 8472}

// Packet is what Decode learns from a frame. Slices point into the frame.
// For a VXLAN packet the addresses, ports and payload are those of the
// inner packet and Outer holds the tunnel's endpoints.
type Packet struct {
	SrcMAC, DstMAC [6]byte
	EtherType      layers.EthernetType // of the innermost Ethernet header
	VLAN           uint16              // 802.1Q VLAN id, 0 when untagged
	Proto          Proto
	Src, Dst       netip.Addr // invalid when the frame carries no IP
	SrcPort        uint16
	DstPort        uint16
	Flags          uint8 // TCP flags
	Seq, Ack       uint32
	Payload        []byte // TCP or UDP payload
	ICMPTypeCode   uint16 // type<<8 | code

	VXLAN bool
	VNI   uint32
	Outer struct { // the tunnel, when VXLAN
		Src, Dst netip.AddrPort
	}
}

// IsIP reports whether the packet has an IP header.
func (p *Packet) IsIP() bool { return p.Src.IsValid() }

// Decoder decodes frames. It keeps its layer structs between calls, so a
// Decoder is not safe for concurrent use; make one per goroutine.
type Decoder struct {
	outer, inner stack
	vxlan        layers.VXLAN
}

// stack is one set of layers and the parser that fills them; VXLAN needs a
// second one, because a DecodingLayerParser holds one struct per layer type.
type stack struct {
	parser  *gopacket.DecodingLayerParser
	types   []gopacket.LayerType
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	vlan    layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	payload gopacket.Payload
}

// ErrNotDecoded is returned for a frame whose first layer does not decode.
var ErrNotDecoded = errors.New("no layer decoded")

// NewDecoder returns a decoder of frames whose first layer is first:
// layers.LayerTypeEthernet (AF_PACKET on Ethernet-like links and most
// capture files), layers.LayerTypeLinuxSLL (`tcpdump -i any`),
// layers.LayerTypeIPv4 or layers.LayerTypeIPv6 (raw IP).
func NewDecoder(first gopacket.LayerType) *Decoder {
	d := &Decoder{}
	d.outer.init(first)
	d.inner.init(layers.LayerTypeEthernet)
	return d
}

func (s *stack) init(first gopacket.LayerType) {
	s.parser = gopacket.NewDecodingLayerParser(first)
	s.parser.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
	for _, l := range []gopacket.DecodingLayer{&s.eth, &s.sll, &s.vlan, &s.ip4, &s.ip6, &s.tcp, &s.udp, &s.icmp4, &s.icmp6, &s.payload} {
		s.parser.AddDecodingLayer(l)
	}
	s.parser.IgnoreUnsupported = true // stop quietly at ARP, fragments, extension headers, ...
	s.types = make([]gopacket.LayerType, 0, 16)
}

// Decode decodes frame into p (overwriting it). An error means even the
// first layer did not decode; a frame that stops early (ARP, a non-first
// fragment, an unknown protocol) decodes without error as far as it goes.
func (d *Decoder) Decode(frame []byte, p *Packet) error {
	*p = Packet{}
	if err := d.outer.decode(frame, p); err != nil {
		return err
	}
	if p.Proto != ProtoUDP || (p.DstPort != VXLANPorts[0] && p.DstPort != VXLANPorts[1]) {
		return nil
	}
	if d.vxlan.DecodeFromBytes(p.Payload, gopacket.NilDecodeFeedback) != nil || !d.vxlan.ValidIDFlag {
		return nil // plain UDP on a VXLAN port
	}
	var in Packet
	if d.inner.decode(d.vxlan.Payload, &in) != nil {
		return nil
	}
	in.VXLAN, in.VNI = true, d.vxlan.VNI
	in.Outer.Src = netip.AddrPortFrom(p.Src, p.SrcPort)
	in.Outer.Dst = netip.AddrPortFrom(p.Dst, p.DstPort)
	*p = in
	return nil
}

func (s *stack) decode(frame []byte, p *Packet) error {
	err := s.parser.DecodeLayers(frame, &s.types)
	if len(s.types) == 0 {
		if err == nil {
			err = ErrNotDecoded
		}
		return err
	}
	for _, t := range s.types {
		switch t {
		case layers.LayerTypeEthernet:
			p.SrcMAC, p.DstMAC = [6]byte(s.eth.SrcMAC), [6]byte(s.eth.DstMAC)
			p.EtherType = s.eth.EthernetType
		case layers.LayerTypeLinuxSLL:
			if len(s.sll.Addr) == 6 {
				p.SrcMAC = [6]byte(s.sll.Addr)
			}
			p.EtherType = s.sll.EthernetType
		case layers.LayerTypeDot1Q:
			if p.VLAN == 0 {
				p.VLAN = s.vlan.VLANIdentifier
			}
			p.EtherType = s.vlan.Type
		case layers.LayerTypeIPv4:
			p.Src = netip.AddrFrom4([4]byte(s.ip4.SrcIP.To4()))
			p.Dst = netip.AddrFrom4([4]byte(s.ip4.DstIP.To4()))
		case layers.LayerTypeIPv6:
			p.Src = netip.AddrFrom16([16]byte(s.ip6.SrcIP))
			p.Dst = netip.AddrFrom16([16]byte(s.ip6.DstIP))
		case layers.LayerTypeTCP:
			p.Proto = ProtoTCP
			p.SrcPort, p.DstPort = uint16(s.tcp.SrcPort), uint16(s.tcp.DstPort)
			p.Seq, p.Ack = s.tcp.Seq, s.tcp.Ack
			p.Flags = tcpFlags(&s.tcp)
			p.Payload = s.tcp.Payload
		case layers.LayerTypeUDP:
			p.Proto = ProtoUDP
			p.SrcPort, p.DstPort = uint16(s.udp.SrcPort), uint16(s.udp.DstPort)
			p.Payload = s.udp.Payload
		case layers.LayerTypeICMPv4:
			p.Proto = ProtoICMPv4
			p.ICMPTypeCode = uint16(s.icmp4.TypeCode)
		case layers.LayerTypeICMPv6:
			p.Proto = ProtoICMPv6
			p.ICMPTypeCode = uint16(s.icmp6.TypeCode)
		}
	}
	return nil
}

func tcpFlags(t *layers.TCP) uint8 {
	var f uint8
	for i, set := range [8]bool{t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR} {
		if set {
			f |= 1 << i
		}
	}
	return f
}
