package dissect

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

func TestDecodeAndSummary(t *testing.T) {
	frames := sampleFrames(t)
	cases := []struct {
		name    string
		summary string
		check   func(*Packet) bool
	}{
		{"tcp4", "10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK, PSH", func(p *Packet) bool {
			return p.Seq == 1000 && p.Ack == 2000 && string(p.Payload[:4]) == "GET " && !p.VXLAN
		}},
		{"syn", "10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN", func(p *Packet) bool { return p.Flags == SYN && len(p.Payload) == 0 }},
		{"vlan", "10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK", func(p *Packet) bool { return p.VLAN == 100 }},
		{"udp6", "[fd00::1]:5353 -> [ff02::fb]:5353 udp", func(p *Packet) bool { return string(p.Payload) == "dns" }},
		{"icmp4", "10.0.0.1 -> 10.0.0.2 EchoRequest", nil},
		{"icmp6", "fd00::1 -> fd00::2 EchoRequest", nil},
		{"vxlan4789", "10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK, PSH vxlan vni 42 (192.168.0.1:51000 -> 192.168.0.2:4789)", func(p *Packet) bool {
			return p.VXLAN && p.VNI == 42 && p.Outer.Dst == netip.MustParseAddrPort("192.168.0.2:4789") && string(p.Payload[:4]) == "GET "
		}},
		{"vxlan8472", "10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK, PSH vxlan vni 7 (192.168.0.1:51000 -> 192.168.0.2:8472)", nil},
		{"arp", "02:00:00:00:00:0a -> 02:00:00:00:00:0b ARP", func(p *Packet) bool { return !p.IsIP() }},
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, c := range cases {
		var p Packet
		if err := d.Decode(frames[c.name], &p); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := Summary(&p); got != c.summary {
			t.Errorf("%s: summary %q, want %q", c.name, got, c.summary)
		}
		if c.check != nil && !c.check(&p) {
			t.Errorf("%s: decoded %+v", c.name, p)
		}
	}
}

func TestDecodeTruncated(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	var p Packet
	if err := d.Decode([]byte{1, 2, 3}, &p); err == nil {
		t.Fatal("3-byte frame decoded")
	}
	f := sampleFrames(t)["tcp4"]
	// Cut inside the TCP header: Ethernet and IPv4 decode, TCP does not.
	if err := d.Decode(f[:14+20+10], &p); err != nil {
		t.Fatal(err)
	}
	if p.Proto != ProtoNone || !p.IsIP() {
		t.Fatalf("truncated TCP: %+v", p)
	}
}

func TestPlainUDPOnVXLANPort(t *testing.T) {
	f := serialize(t, eth(layers.EthernetTypeIPv4), ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP),
		&layers.UDP{SrcPort: 1000, DstPort: 4789}, payload("no vxlan"))
	var p Packet
	if err := NewDecoder(layers.LayerTypeEthernet).Decode(f, &p); err != nil {
		t.Fatal(err)
	}
	if p.VXLAN || p.DstPort != 4789 || p.Proto != ProtoUDP {
		t.Fatalf("%+v", p)
	}
}

func TestDecodeAllocs(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	frames := sampleFrames(t)
	var p Packet
	for name, f := range frames {
		d.Decode(f, &p) // grow the option slices once
		if n := testing.AllocsPerRun(100, func() { d.Decode(f, &p) }); n != 0 {
			t.Errorf("%s: %v allocations per decode", name, n)
		}
	}
}
