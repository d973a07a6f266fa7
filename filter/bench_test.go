package filter

import (
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/filter/internal/benchdata"
)

// nativeThreeRules is benchdata.ThreeRules written in Go against the same
// Record interface: the floor an evaluator could reach.
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

// BenchmarkMatch reports ns per Match over benchdata.Packets, and for the
// 3-rule set the ratio to hand-written Go measured in the same run. The
// comparison with expr-lang/expr is in filter/exprbench.
func BenchmarkMatch(b *testing.B) {
	native := nativeThreeRules()
	three := mustCompile(b, benchdata.ThreeRules)
	for _, p := range benchdata.Packets {
		i, d := three.Match(p)
		if j, e := native(p); i != j || d != e {
			b.Fatalf("native baseline disagrees on %+v: %d vs %d", p, j, i)
		}
	}
	var nativeNs float64
	b.Run("3-rules-native-go", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			native(benchdata.Packets[i%len(benchdata.Packets)])
		}
		nativeNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, bm := range []struct {
		name  string
		rules *Rules
	}{
		{"3-rules", three},
		{"3-clauses", mustCompile(b, benchdata.ThreeClauses)},
		{"20-rules", mustCompile(b, benchdata.TwentyRules())},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bm.rules.Match(benchdata.Packets[i%len(benchdata.Packets)])
			}
			if bm.name == "3-rules" && nativeNs > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nativeNs, "x-native-go")
			}
		})
	}
}

func mustCompile(tb testing.TB, src string) *Rules {
	r, err := Compile(src, Netlog)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkCompile compiles a 1,000-rule set (the target is under 50 ms).
func BenchmarkCompile(b *testing.B) {
	src := strings.Repeat(benchdata.TwentyRules(), 50)
	for b.Loop() {
		if r := mustCompile(b, src); r.Len() != 1000 {
			b.Fatal(r.Len())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/1000-rules")
}

func TestTwentyRulesKeepPackets(t *testing.T) {
	r := mustCompile(t, benchdata.TwentyRules())
	if r.Len() != 20 {
		t.Fatal(r.Len())
	}
	for _, p := range benchdata.Packets {
		if i, dropped := r.Match(p); dropped {
			t.Errorf("rule %d matched %+v; the benchmark wants every rule evaluated", i, p)
		}
	}
}
