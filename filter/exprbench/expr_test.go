// Package exprbench compares the filter evaluator with expr-lang/expr on the
// same rules and records, in the same run.
package exprbench

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"netobs.local/agent/filter"
	"netobs.local/agent/filter/internal/benchdata"
)

// exprRules is a rule set compiled with expr, one program per rule so that,
// like filter, it reports the first matching rule.
type exprRules struct {
	programs []*vm.Program
	vm       vm.VM
}

// compileExpr compiles each rule of a filter rule set with expr. The rule
// texts are valid expr syntax; the two functions are given to expr with
// their types, and ipnet_contains gets the constant CIDRs pre-parsed, as
// filter does at compile time.
func compileExpr(tb testing.TB, rules *filter.Rules) *exprRules {
	prefixes := map[string]netip.Prefix{}
	for i := range rules.Len() {
		for _, part := range strings.Split(rules.Rule(i).Text, `"`) {
			if p, err := netip.ParsePrefix(part); err == nil {
				prefixes[part] = p.Masked()
			}
		}
	}
	ipnetContains := expr.Function("ipnet_contains", func(params ...any) (any, error) {
		p, ok := prefixes[params[0].(string)]
		if !ok {
			var err error
			if p, err = netip.ParsePrefix(params[0].(string)); err != nil {
				return false, nil
			}
		}
		ip := params[1].(string)
		if ip == "" {
			return false, nil
		}
		a, err := netip.ParseAddr(ip)
		return err == nil && p.Contains(a), nil
	}, new(func(string, string) bool))
	hasPrefix := expr.Function("has_prefix", func(params ...any) (any, error) {
		return strings.HasPrefix(params[0].(string), params[1].(string)), nil
	}, new(func(string, string) bool))

	e := &exprRules{}
	for i := range rules.Len() {
		p, err := expr.Compile(rules.Rule(i).Text, expr.Env(&benchdata.Packet{}), expr.AsBool(), ipnetContains, hasPrefix)
		if err != nil {
			tb.Fatalf("expr: rule %q: %v", rules.Rule(i).Text, err)
		}
		e.programs = append(e.programs, p)
	}
	return e
}

func (e *exprRules) match(p *benchdata.Packet) (int, bool) {
	for i, prog := range e.programs {
		out, err := e.vm.Run(prog, p)
		if err != nil {
			panic(err)
		}
		if out.(bool) {
			return i, true
		}
	}
	return -1, false
}

var ruleSets = []struct{ name, src string }{
	{"3-clauses", benchdata.ThreeClauses},
	{"3-rules", benchdata.ThreeRules},
	{"20-rules", benchdata.TwentyRules()},
}

// BenchmarkVsExpr runs each rule set with expr, then with filter, and
// reports filter's time as a fraction of expr's (the goal is <= 0.5).
func BenchmarkVsExpr(b *testing.B) {
	for _, rs := range ruleSets {
		rules, err := filter.Compile(rs.src, filter.Netlog)
		if err != nil {
			b.Fatal(err)
		}
		ex := compileExpr(b, rules)
		var exprNs float64
		b.Run(rs.name+"/expr", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ex.match(benchdata.Packets[i%len(benchdata.Packets)])
			}
			exprNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(rs.name+"/filter", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rules.Match(benchdata.Packets[i%len(benchdata.Packets)])
			}
			if exprNs > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/exprNs, "x-expr")
			}
		})
	}
}

// The two evaluators must agree, or the comparison means nothing.
func TestSameResults(t *testing.T) {
	for _, rs := range ruleSets {
		rules, err := filter.Compile(rs.src, filter.Netlog)
		if err != nil {
			t.Fatal(err)
		}
		ex := compileExpr(t, rules)
		for _, p := range benchdata.Packets {
			i, d := rules.Match(p)
			if j, e := ex.match(p); i != j || d != e {
				t.Errorf("%s on %+v: filter %d, expr %d", rs.name, p, i, j)
			}
		}
	}
}
