package filter

import (
	"testing"

	"netobs.local/agent/filter/internal/benchdata"
)

// Packet's methods must follow Netlog's field order.
func TestPacketFieldOrder(t *testing.T) {
	p := &benchdata.Packet{TCP: true, UDP: true, IPv4: true, IPv6: true, SrcPort: 4, DstPort: 5,
		IPSaddr: "ip_saddr", IPDaddr: "ip_daddr", IP6Saddr: "ip6_saddr", IP6Daddr: "ip6_daddr", K8sSrcPod: "k8s_src_pod", K8sDstPod: "k8s_dst_pod"}
	for i, f := range Netlog.Fields() {
		switch f.Kind {
		case Bool:
			if !p.Bool(i) || p.Int(i) != 0 || p.Str(i) != "" {
				t.Errorf("field %d %s", i, f.Name)
			}
		case Int:
			if p.Int(i) != int64(i) || p.Bool(i) || p.Str(i) != "" {
				t.Errorf("field %d %s", i, f.Name)
			}
		case String:
			if p.Str(i) != f.Name || p.Bool(i) || p.Int(i) != 0 {
				t.Errorf("field %d %s", i, f.Name)
			}
		}
	}
}

// everything uses every operator and function, with nothing true, so Match
// evaluates all of it.
const everything = `
tcp && dst_port == 80 || udp && src_port != 53
!ipv4 && (src_port < 1 || src_port <= 0 || dst_port > 65535 || dst_port >= 65536)
ip_saddr == "1.1.1.1" || ip_daddr != ip_daddr || tcp == ipv4 || tcp != tcp
ipnet_contains("10.0.0.0/8", ip_saddr) || ipnet_contains("fd00::/8", ip6_saddr)
ipnet_contains(k8s_dst_pod, ip_daddr) || ipnet_contains(k8s_dst_pod, ip6_daddr)
has_prefix(k8s_src_pod, "db-") || has_prefix(k8s_src_pod, k8s_dst_pod)
`

func TestMatchDoesNotAllocate(t *testing.T) {
	r, err := Compile(everything, Netlog)
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]*benchdata.Packet{
		"ipv4":          {IPv4: true, SrcPort: 1, DstPort: 443, IPSaddr: "192.168.1.1", IPDaddr: "192.168.1.2", K8sSrcPod: "web-1", K8sDstPod: "10.0.0.0/16"},
		"ipv6":          {IPv4: true, SrcPort: 1, DstPort: 443, IP6Saddr: "2001:db8::1", IP6Daddr: "2001:db8::2%eth0", K8sSrcPod: "web-1", K8sDstPod: "fe80::/10"},
		"mapped":        {IPv4: true, SrcPort: 1, DstPort: 443, IP6Saddr: "::ffff:192.168.1.1", IP6Daddr: "::ffff:192.168.1.1", K8sDstPod: "10.0.0.0/8", K8sSrcPod: "web-1"},
		"bad addresses": {IPv4: true, SrcPort: 1, DstPort: 443, IPSaddr: "x", IPDaddr: "300.1.1.1", K8sDstPod: "not a cidr", K8sSrcPod: "web-1"},
		"empty":         {IPv4: true, SrcPort: 1, DstPort: 443, K8sSrcPod: "web-1", K8sDstPod: "web-1-x"},
	}
	for name, rec := range records {
		if rule, dropped := r.Match(rec); dropped {
			t.Fatalf("%s: rule %d (%s) matched; the test wants every rule evaluated", name, rule, r.Rule(rule).Text)
		}
		if allocs := testing.AllocsPerRun(100, func() { r.Match(rec) }); allocs != 0 {
			t.Errorf("%s: Match allocates %v times per call", name, allocs)
		}
	}
}
