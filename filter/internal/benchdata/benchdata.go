// Package benchdata holds the rule sets and records the filter benchmarks
// share: the in-package ones and the comparison with expr-lang/expr in the
// separate exprbench module (kept apart so expr stays out of the agent's
// go.mod).
package benchdata

import (
	"fmt"
	"strings"
)

// Packet is a netlog record the way the collector would hold one. It
// implements filter.Record for filter.Netlog's field order, and its expr tags
// name the same fields for expr's environment.
type Packet struct {
	TCP       bool   `expr:"tcp"`
	UDP       bool   `expr:"udp"`
	IPv4      bool   `expr:"ipv4"`
	IPv6      bool   `expr:"ipv6"`
	SrcPort   int64  `expr:"src_port"`
	DstPort   int64  `expr:"dst_port"`
	IPSaddr   string `expr:"ip_saddr"`
	IPDaddr   string `expr:"ip_daddr"`
	IP6Saddr  string `expr:"ip6_saddr"`
	IP6Daddr  string `expr:"ip6_daddr"`
	K8sSrcPod string `expr:"k8s_src_pod"`
	K8sDstPod string `expr:"k8s_dst_pod"`
}

// Bool implements filter.Record.
func (p *Packet) Bool(i int) bool {
	switch i {
	case 0:
		return p.TCP
	case 1:
		return p.UDP
	case 2:
		return p.IPv4
	case 3:
		return p.IPv6
	}
	return false
}

// Int implements filter.Record.
func (p *Packet) Int(i int) int64 {
	switch i {
	case 4:
		return p.SrcPort
	case 5:
		return p.DstPort
	}
	return 0
}

// Str implements filter.Record.
func (p *Packet) Str(i int) string {
	switch i {
	case 6:
		return p.IPSaddr
	case 7:
		return p.IPDaddr
	case 8:
		return p.IP6Saddr
	case 9:
		return p.IP6Daddr
	case 10:
		return p.K8sSrcPod
	case 11:
		return p.K8sDstPod
	}
	return ""
}

// ThreeClauses is one rule of three comparisons.
const ThreeClauses = `ip_saddr == "10.10.0.1" && (src_port == 80 || dst_port == 80)`

// ThreeRules is a realistic blacklist: loopback traffic, one noisy web
// server, and DNS.
const ThreeRules = `ipnet_contains("127.0.0.0/8", ip_saddr) || ipnet_contains("::1/128", ip6_saddr)
` + ThreeClauses + `
udp && dst_port == 53`

// TwentyRules mixes the rule shapes users write; none matches Packets.
func TwentyRules() string {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, "ip_saddr == \"10.20.%d.1\" && (src_port == %d || dst_port == %d)\n", i, 8000+i, 8000+i)
		fmt.Fprintf(&b, "ipnet_contains(\"10.%d.0.0/16\", ip_daddr) && tcp\n", 100+i)
		fmt.Fprintf(&b, "has_prefix(k8s_src_pod, \"batch-%d-\") || k8s_dst_pod == \"cache-%d\"\n", i, i)
		fmt.Fprintf(&b, "udp && !ipv6 && dst_port >= %d && dst_port < %d\n", 30000+i*100, 30050+i*100)
	}
	return b.String()
}

// Packets are mostly kept by the rule sets above, so most evaluations run
// every rule; one is dropped by ThreeRules.
var Packets = []*Packet{
	{TCP: true, IPv4: true, SrcPort: 43512, DstPort: 443, IPSaddr: "10.0.3.7", IPDaddr: "172.16.0.9", K8sSrcPod: "web-7d9f"},
	{UDP: true, IPv6: true, SrcPort: 5353, DstPort: 5353, IP6Saddr: "fd00::7", IP6Daddr: "ff02::fb"},
	{TCP: true, IPv4: true, SrcPort: 80, DstPort: 51234, IPSaddr: "10.10.0.1", IPDaddr: "10.0.0.2"},
	{TCP: true, IPv4: true, SrcPort: 5432, DstPort: 40100, IPSaddr: "192.168.1.20", IPDaddr: "192.168.1.21", K8sDstPod: "db-0"},
}
