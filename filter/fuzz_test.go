package filter

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"netobs.local/agent/filter/internal/benchdata"
)

// FuzzCompileMatch compiles arbitrary rule text and evaluates whatever
// compiles on an arbitrary record: neither may panic, errors must point
// inside the source, and Match must agree with evaluating rule by rule.
func FuzzCompileMatch(f *testing.F) {
	for _, seed := range []string{
		"tcp", "udp && dst_port == 53", "tcp || udp && ipv6", "!(src_port >= 1024)",
		`ip_saddr == "1.1.1.1" && (src_port == 80 || dst_port == 80)`,
		"udp\nip_saddr == \"10.10.0.1\" && (src_port == 80 ||\n dst_port == 80);\nipnet_contains(\"127.0.0.0/8\", ip_saddr); ipv6",
		`ipnet_contains("fd00::/8", ip6_saddr) || ipnet_contains(k8s_src_pod, ip6_daddr)`,
		`has_prefix(k8s_src_pod, 'web-\x41\'') # comment`,
		"(tcp", "tcp)", "a = 1", "'unterminated", `"\q"`, "99999999999999999999", "1 < 2 < 3",
		"tcp\n&& udp", "f(,)", "é", "\xff", everything,
	} {
		f.Add(seed, true, int64(80), "10.0.0.1", "fd00::1", "10.0.0.0/8")
	}
	f.Fuzz(func(t *testing.T, src string, b bool, n int64, s4, s6, s string) {
		r, err := Compile(src, Netlog)
		if err != nil {
			if r != nil {
				t.Fatal("rules returned with an error")
			}
			errs := errorsOf(err)
			if len(errs) == 0 || len(errs) > maxErrors {
				t.Fatalf("%d errors in %T", len(errs), err)
			}
			lines := strings.Count(src, "\n") + 1
			for _, e := range errs {
				if e.Line < 1 || e.Line > lines || e.Col < 1 || e.Col > utf8.RuneCountInString(e.line)+1 {
					t.Fatalf("error position %d:%d outside the source (%d lines, line %q): %s", e.Line, e.Col, lines, e.line, e.Msg)
				}
				if !strings.HasSuffix(e.Error(), "^") {
					t.Fatalf("rendering has no caret: %q", e.Error())
				}
			}
			return
		}
		rec := &benchdata.Packet{TCP: b, UDP: !b, IPv4: b, IPv6: !b, SrcPort: n, DstPort: n / 2,
			IPSaddr: s4, IPDaddr: s, IP6Saddr: s6, IP6Daddr: s, K8sSrcPod: s, K8sDstPod: s4}
		rule, dropped := r.Match(rec)
		if dropped != (rule >= 0) || rule >= r.Len() {
			t.Fatalf("Match = %d, %v with %d rules", rule, dropped, r.Len())
		}
		// Each rule alone must give the same answer as its place in the set.
		for i := 0; i < r.Len(); i++ {
			info := r.Rule(i)
			one, err := Compile(info.Text, Netlog)
			if err != nil {
				t.Fatalf("rule %d %q does not compile alone: %v", i, info.Text, err)
			}
			_, hit := one.Match(rec)
			if hit && (rule < 0 || i < rule) || !hit && i == rule {
				t.Fatalf("rule %d %q alone matched=%v, but Match of the set returned %d", i, info.Text, hit, rule)
			}
		}
	})
}

// FuzzAddrParsers checks the allocation-free address parsers against netip.
func FuzzAddrParsers(f *testing.F) {
	for _, seed := range []string{
		"10.0.0.1", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3",
		"::", "::1", "fd00::", "2001:db8::68", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3",
		"::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "12345::", "::1.2.3.4", "1:2:3:4:5:6:7::", ":1", "1:",
		"fe80::1%eth0", "10.0.0.0/8", "fd00::/129", "1.2.3.4/08", "1.2.3.4/", "/8", "::/0", "1.2.3.4/+8",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		if strings.Contains(s, "%") { // zones are stripped before parseAddr
			want, err = netip.Addr{}, errors.ErrUnsupported
		}
		got, ok := parseAddr(s)
		if ok != (err == nil) || got != want {
			t.Fatalf("parseAddr(%q) = %v, %v; netip says %v, %v", s, got, ok, want, err)
		}
		wantP, err := netip.ParsePrefix(s)
		gotP, ok := parsePrefix(s)
		if ok != (err == nil) || gotP != wantP {
			t.Fatalf("parsePrefix(%q) = %v, %v; netip says %v, %v", s, gotP, ok, wantP, err)
		}
	})
}

// FuzzParseRecord feeds arbitrary bytes to the JSON record parser.
func FuzzParseRecord(f *testing.F) {
	for _, seed := range []string{
		`{"tcp":true,"src_port":80,"ip_saddr":"10.0.0.1"}`, `{}`, `null`, `[]`, `{"src_port":1.5}`,
		`{"nope":1}`, `{"tcp":"yes"}`, `{} {}`, `{"src_port":99999999999999999999}`, `{"k8s_src_pod":null}`,
	} {
		f.Add([]byte(seed))
	}
	rules, err := Compile(everything, Netlog)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord(Netlog, data)
		if err != nil {
			return
		}
		rules.Match(rec)
	})
}
