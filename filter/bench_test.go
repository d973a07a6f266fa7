package filter

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// threeRules is a realistic blacklist: loopback traffic, one noisy web
// server, and DNS.
const threeRules = `ipnet_contains("127.0.0.0/8", ip_saddr) || ipnet_contains("::1/128", ip6_saddr)
ip_saddr == "10.10.0.1" && (src_port == 80 || dst_port == 80)
udp && dst_port == 53`

// benchRecords are mostly kept, so most evaluations run every rule.
var benchRecords = []*netlogRecord{
	{tcp: true, ipv4: true, srcPort: 43512, dstPort: 443, ipSaddr: "10.0.3.7", ipDaddr: "172.16.0.9", k8sSrcPod: "web-7d9f"},
	{udp: true, ipv6: true, srcPort: 5353, dstPort: 5353, ip6Saddr: "fd00::7", ip6Daddr: "ff02::fb"},
	{tcp: true, ipv4: true, srcPort: 80, dstPort: 51234, ipSaddr: "10.10.0.1", ipDaddr: "10.0.0.2"},
	{tcp: true, ipv4: true, srcPort: 5432, dstPort: 40100, ipSaddr: "192.168.1.20", ipDaddr: "192.168.1.21", k8sDstPod: "db-0"},
}

// nativeThreeRules is threeRules written in Go against the same Record
// interface: the floor an evaluator could reach.
func nativeThreeRules() func(Record) (int, bool) {
	lo4, lo6 := netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")
	return func(r Record) (int, bool) {
		switch {
		case prefixContains(lo4, r.Str(6)) || prefixContains(lo6, r.Str(8)):
			return 0, true
		case r.Str(6) == "10.10.0.1" && (r.Int(4) == 80 || r.Int(5) == 80):
			return 1, true
		case r.Bool(1) && r.Int(5) == 53:
			return 2, true
		}
		return -1, false
	}
}

func BenchmarkMatch(b *testing.B) {
	native := nativeThreeRules()
	rules, err := Compile(threeRules, Netlog)
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range benchRecords {
		i, d := rules.Match(rec)
		if j, e := native(rec); i != j || d != e {
			b.Fatalf("native baseline disagrees on %+v: %d vs %d", rec, j, i)
		}
	}
	var nativeNs float64 // measured first, for the ratio
	b.Run("3-rules-native-go", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			native(benchRecords[i%len(benchRecords)])
		}
		nativeNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("3-rules", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rules.Match(benchRecords[i%len(benchRecords)])
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nativeNs, "x-native-go")
	})
	b.Run("20-rules", func(b *testing.B) {
		rules, err := Compile(twentyRules(), Netlog)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rules.Match(benchRecords[i%len(benchRecords)])
		}
	})
}

// twentyRules mixes the rule shapes users write; none matches benchRecords.
func twentyRules() string {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, "ip_saddr == \"10.20.%d.1\" && (src_port == %d || dst_port == %d)\n", i, 8000+i, 8000+i)
		fmt.Fprintf(&b, "ipnet_contains(\"10.%d.0.0/16\", ip_daddr) && tcp\n", 100+i)
		fmt.Fprintf(&b, "has_prefix(k8s_src_pod, \"batch-%d-\") || k8s_dst_pod == \"cache-%d\"\n", i, i)
		fmt.Fprintf(&b, "udp && !ipv6 && dst_port >= %d && dst_port < %d\n", 30000+i*100, 30050+i*100)
	}
	return b.String()
}

// BenchmarkCompile compiles a 1,000-rule set (the target is under 50 ms).
func BenchmarkCompile(b *testing.B) {
	var src strings.Builder
	for range 50 {
		src.WriteString(twentyRules())
	}
	for b.Loop() {
		r, err := Compile(src.String(), Netlog)
		if err != nil || r.Len() != 1000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/1000-rules")
}

func TestTwentyRulesKeepBenchRecords(t *testing.T) {
	r, err := Compile(twentyRules(), Netlog)
	if err != nil || r.Len() != 20 {
		t.Fatal(r, err)
	}
	for _, rec := range benchRecords {
		if i, dropped := r.Match(rec); dropped {
			t.Errorf("rule %d matched %+v; the benchmark wants every rule evaluated", i, rec)
		}
	}
}
