package filter

import "testing"

// netlogRecord is a Record the way the collector would implement one: a
// struct with a field per schema entry.
type netlogRecord struct {
	tcp, udp, ipv4, ipv6                                       bool
	srcPort, dstPort                                           int64
	ipSaddr, ipDaddr, ip6Saddr, ip6Daddr, k8sSrcPod, k8sDstPod string
}

func (r *netlogRecord) Bool(i int) bool {
	switch i {
	case 0:
		return r.tcp
	case 1:
		return r.udp
	case 2:
		return r.ipv4
	case 3:
		return r.ipv6
	}
	return false
}

func (r *netlogRecord) Int(i int) int64 {
	switch i {
	case 4:
		return r.srcPort
	case 5:
		return r.dstPort
	}
	return 0
}

func (r *netlogRecord) Str(i int) string {
	switch i {
	case 6:
		return r.ipSaddr
	case 7:
		return r.ipDaddr
	case 8:
		return r.ip6Saddr
	case 9:
		return r.ip6Daddr
	case 10:
		return r.k8sSrcPod
	case 11:
		return r.k8sDstPod
	}
	return ""
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
	records := map[string]*netlogRecord{
		"ipv4":          {ipv4: true, srcPort: 1, dstPort: 443, ipSaddr: "192.168.1.1", ipDaddr: "192.168.1.2", k8sSrcPod: "web-1", k8sDstPod: "10.0.0.0/16"},
		"ipv6":          {ipv4: true, srcPort: 1, dstPort: 443, ip6Saddr: "2001:db8::1", ip6Daddr: "2001:db8::2%eth0", k8sSrcPod: "web-1", k8sDstPod: "fe80::/10"},
		"mapped":        {ipv4: true, srcPort: 1, dstPort: 443, ip6Saddr: "::ffff:192.168.1.1", ip6Daddr: "::ffff:192.168.1.1", k8sDstPod: "10.0.0.0/8", k8sSrcPod: "web-1"},
		"bad addresses": {ipv4: true, srcPort: 1, dstPort: 443, ipSaddr: "x", ipDaddr: "300.1.1.1", k8sDstPod: "not a cidr", k8sSrcPod: "web-1"},
		"empty":         {ipv4: true, srcPort: 1, dstPort: 443, k8sSrcPod: "web-1", k8sDstPod: "web-1-x"},
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
