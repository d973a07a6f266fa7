package dissect

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Frame builders shared by the tests, fuzz seeds and benchmarks.

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
)

func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	for _, l := range ls {
		if n, ok := l.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok {
			for _, nl := range ls {
				if ip, ok := nl.(gopacket.NetworkLayer); ok {
					_ = n.SetNetworkLayerForChecksum(ip)
				}
			}
		}
	}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func tcpSeg(sport, dport uint16, seq, ack uint32, syn, ackf, psh bool) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack,
		SYN: syn, ACK: ackf, PSH: psh, Window: 64240, DataOffset: 8,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)}}}
}

// tcp4Frame is an Ethernet/IPv4/TCP frame with payload.
func tcp4Frame(tb testing.TB, payload string) []byte {
	return serialize(tb, eth(layers.EthernetTypeIPv4), ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP),
		tcpSeg(40000, 80, 1000, 2000, false, true, true), gopacket.Payload(payload))
}

// vxlanFrame wraps inner in Ethernet/IPv4/UDP(port)/VXLAN(vni).
func vxlanFrame(tb testing.TB, port uint16, vni uint32, inner []byte) []byte {
	return serialize(tb, eth(layers.EthernetTypeIPv4), ip4("192.168.0.1", "192.168.0.2", layers.IPProtocolUDP),
		&layers.UDP{SrcPort: 51000, DstPort: layers.UDPPort(port)},
		&layers.VXLAN{ValidIDFlag: true, VNI: vni}, gopacket.Payload(inner))
}

// sampleFrames covers every layer the decoder knows.
func sampleFrames(tb testing.TB) map[string][]byte {
	get := []byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
	inner := tcp4Frame(tb, string(get))
	return map[string][]byte{
		"tcp4": tcp4Frame(tb, string(get)),
		"syn": serialize(tb, eth(layers.EthernetTypeIPv4), ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP),
			tcpSeg(40000, 80, 1000, 0, true, false, false)),
		"vlan": serialize(tb, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4},
			ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), tcpSeg(40000, 80, 1, 2, false, true, false)),
		"udp6": serialize(tb, eth(layers.EthernetTypeIPv6), ip6("fd00::1", "ff02::fb", layers.IPProtocolUDP),
			&layers.UDP{SrcPort: 5353, DstPort: 5353}, gopacket.Payload("dns")),
		"icmp4": serialize(tb, eth(layers.EthernetTypeIPv4), ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}),
		"icmp6": serialize(tb, eth(layers.EthernetTypeIPv6), ip6("fd00::1", "fd00::2", layers.IPProtocolICMPv6),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}, gopacket.Payload("12345678")),
		"vxlan4789": vxlanFrame(tb, 4789, 42, inner),
		"vxlan8472": vxlanFrame(tb, 8472, 7, inner),
		"arp": serialize(tb, eth(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{10, 0, 0, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}}),
	}
}

func payload(s string) gopacket.Payload { return gopacket.Payload(s) }
