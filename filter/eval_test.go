package filter

import (
	"testing"
)

// rec builds a netlog record.
func rec(values map[string]any) MapRecord { return MapRecord{Schema: Netlog, Values: values} }

type M = map[string]any

func TestMatch(t *testing.T) {
	web := M{"tcp": true, "ipv4": true, "src_port": 43512, "dst_port": 80, "ip_saddr": "10.0.0.7", "ip_daddr": "1.1.1.1", "k8s_src_pod": "web-7d9f"}
	v6 := M{"udp": true, "ipv6": true, "src_port": 5353, "dst_port": 53, "ip6_saddr": "fd00::7", "ip6_daddr": "2001:db8::53"}
	tests := []struct {
		name  string
		rules string
		rec   M
		want  int // index of the first matching rule, -1 to keep
	}{
		// Bare fields and literals.
		{"bool field", "tcp", web, 0},
		{"bool field false", "udp", web, -1},
		{"true", "true", M{}, 0},
		{"false", "false", web, -1},
		{"no rules", "", web, -1},

		// Every comparison operator on ints, both ways round.
		{"== int", "dst_port == 80", web, 0},
		{"== int false", "dst_port == 81", web, -1},
		{"!= int", "dst_port != 81", web, 0},
		{"!= int false", "dst_port != 80", web, -1},
		{"< int", "dst_port < 81", web, 0},
		{"< int equal", "dst_port < 80", web, -1},
		{"<= int equal", "dst_port <= 80", web, 0},
		{"<= int false", "dst_port <= 79", web, -1},
		{"> int", "src_port > 1024", web, 0},
		{"> int equal", "dst_port > 80", web, -1},
		{">= int equal", "dst_port >= 80", web, 0},
		{">= int false", "dst_port >= 81", web, -1},
		{"constant on the left <", "1024 < src_port", web, 0},
		{"constant on the left >", "1024 > src_port", web, -1},
		{"constant on the left <=", "80 <= dst_port", web, 0},
		{"constant on the left >=", "79 >= dst_port", web, -1},
		{"field vs field <", "dst_port < src_port", web, 0},
		{"field vs field >=", "dst_port >= src_port", web, -1},
		{"field vs field ==", "src_port == dst_port", M{"src_port": 7, "dst_port": 7}, 0},
		{"field vs field !=", "src_port != dst_port", M{"src_port": 7, "dst_port": 7}, -1},
		{"field vs field <=", "src_port <= dst_port", M{"src_port": 7, "dst_port": 7}, 0},
		{"field vs field >", "src_port > dst_port", M{"src_port": 7, "dst_port": 7}, -1},
		{"negative literal", "src_port > -1", M{}, 0},

		// Strings: == and != only, both quote styles and escapes.
		{"== double quotes", `ip_saddr == "10.0.0.7"`, web, 0},
		{"== single quotes", `ip_saddr == '10.0.0.7'`, web, 0},
		{"!= string", `ip_saddr != '10.0.0.7'`, web, -1},
		{"string on the left", `"1.1.1.1" == ip_daddr`, web, 0},
		{"field vs field strings", `ip_saddr == ip_daddr`, M{"ip_saddr": "a", "ip_daddr": "a"}, 0},
		{"field vs field strings !=", `ip_saddr != ip_daddr`, M{"ip_saddr": "a", "ip_daddr": "a"}, -1},
		{`escaped \"`, `k8s_src_pod == "a\"b"`, M{"k8s_src_pod": `a"b`}, 0},
		{`escaped \'`, `k8s_src_pod == 'a\'b'`, M{"k8s_src_pod": `a'b`}, 0},
		{`\' inside double quotes`, `k8s_src_pod == "a\'b"`, M{"k8s_src_pod": `a'b`}, 0},
		{"other quote unescaped", `k8s_src_pod == 'a"b' && k8s_dst_pod == "c'd"`, M{"k8s_src_pod": `a"b`, "k8s_dst_pod": `c'd`}, 0},
		{`\\ \t \n`, `k8s_src_pod == "a\\b\tc\nd"`, M{"k8s_src_pod": "a\\b\tc\nd"}, 0},
		{`\x and \u`, `k8s_src_pod == '\x41\u00e9'`, M{"k8s_src_pod": "Aé"}, 0},
		{"UTF-8 in strings", `k8s_src_pod == "pod-é中"`, M{"k8s_src_pod": "pod-é中"}, 0},
		{"empty string", `k8s_src_pod == ""`, M{}, 0},

		// Bools compared.
		{"bool == true", "tcp == true", web, 0},
		{"bool == false", "udp == false", web, 0},
		{"bool != true", "tcp != true", web, -1},
		{"true == bool", "true == udp", web, -1},
		{"bool == bool", "tcp == ipv4", web, 0},
		{"bool != bool", "tcp != ipv4", web, -1},

		// Logic.
		{"!", "!udp", web, 0},
		{"!!", "!!tcp", web, 0},
		{"! (...)", "!(tcp && ipv4)", web, -1},
		{"&&", "tcp && dst_port == 80", web, 0},
		{"&& false", "tcp && udp", web, -1},
		{"||", "udp || tcp", web, 0},
		{"|| false", "udp || ipv6", web, -1},
		{"long ||", "udp || ipv6 || dst_port == 1 || dst_port == 80", web, 0},
		{"long || false", "udp || ipv6 || dst_port == 1 || dst_port == 2", web, -1},
		{"long &&", "tcp && ipv4 && dst_port == 80 && src_port > 1024", web, 0},
		{"long && false", "tcp && ipv4 && dst_port == 80 && src_port < 1024", web, -1},
		{"constant operands folded", "true && tcp && (false || ipv4)", web, 0},
		{"false && x", "false && tcp", web, -1},
		{"true || x", "true || udp", web, 0},

		// Precedence: && binds tighter than ||; comparisons tighter than both.
		{"&& over || (left)", "tcp || udp && ipv6", web, 0},              // tcp || (udp && ipv6)
		{"&& over || (right)", "udp && ipv6 || tcp", web, 0},             // (udp && ipv6) || tcp
		{"&& over || (mixed)", "ipv4 || udp && tcp", M{"ipv4": true}, 0}, // not (ipv4 || udp) && tcp
		{"parentheses override", "(tcp || udp) && ipv6", web, -1},
		{"comparison over &&", "tcp == udp && ipv6", M{}, -1},            // (tcp == udp) && ipv6, not tcp == (udp && ipv6)
		{"comparison over ||", "udp == tcp || ipv6", M{"ipv6": true}, 0}, // not udp == (tcp || ipv6)
		{"comparisons are left-associative", "dst_port == 80 == true", web, 0},
		{"left-associative bools", "tcp == udp == ipv4", M{"ipv4": true}, 0},

		// Multiple rules, separators, line breaks.
		{"first matching rule", "udp; tcp; dst_port == 80", web, 1},
		{"newline separates", "udp\ntcp", web, 1},
		{"CRLF", "udp\r\ntcp\r\n", web, 1},
		{"empty rules ignored", ";;\n\n udp ;\n;\n tcp ;;", web, 1},
		{"break after && continues", "udp &&\n tcp\ntcp", web, 1},
		{"break after || continues", "udp ||\n\n ipv6\ntcp", web, 1},
		{"break after == continues", "dst_port ==\n 81\ntcp", web, 1},
		{"break after ! continues", "!\nudp", web, 0},
		{"break inside parentheses", "udp && (tcp\n || ipv4\n)\ntcp", web, 1},
		{"break inside a call", "has_prefix(\n k8s_src_pod,\n 'web-'\n)", web, 0},
		{"comments", "# drop DNS\nudp # not this\ntcp # this", web, 1},
		{"seed example", "udp\nip_saddr == \"1.1.1.1\" && (src_port == 80 || dst_port == 80);\nip_saddr == \"10.10.0.1\" && (src_port == 80 || dst_port == 80)\nipnet_contains(\"127.0.0.0/8\", ip_saddr); ipv6", M{"ip_saddr": "127.0.0.1"}, 3},
		{"seed example 2", "udp\nip_saddr == \"1.1.1.1\" && (src_port == 80 || dst_port == 80);\nipnet_contains(\"127.0.0.0/8\", ip_saddr); ipv6", M{"ip_saddr": "1.1.1.1", "src_port": 80}, 1},
		{"seed example 3", "udp\nip_saddr == \"1.1.1.1\" && (src_port == 80 || dst_port == 80);\nipnet_contains(\"127.0.0.0/8\", ip_saddr); ipv6", v6, 0},

		// Missing fields are zero values.
		{"missing bool", "!tcp", M{}, 0},
		{"missing int", "src_port == 0", M{}, 0},
		{"missing string", `ip_saddr == ""`, M{}, 0},

		// ipnet_contains, IPv4 and IPv6.
		{"ipv4 in", `ipnet_contains("10.0.0.0/8", ip_saddr)`, web, 0},
		{"ipv4 out", `ipnet_contains("10.0.0.0/8", ip_daddr)`, web, -1},
		{"ipv4 /32", `ipnet_contains("1.1.1.1/32", ip_daddr)`, web, 0},
		{"ipv4 /0", `ipnet_contains("0.0.0.0/0", ip_daddr)`, web, 0},
		{"ipv4 host bits set", `ipnet_contains("10.1.2.3/8", ip_saddr)`, web, 0},
		{"ipv6 in", `ipnet_contains("fd00::/8", ip6_saddr)`, v6, 0},
		{"ipv6 out", `ipnet_contains("fd00::/8", ip6_daddr)`, v6, -1},
		{"ipv6 /32", `ipnet_contains("2001:db8::/32", ip6_daddr)`, v6, 0},
		{"ipv6 prefix, ipv4 address", `ipnet_contains("::/0", ip_saddr)`, web, -1},
		{"ipv4 prefix, ipv6 address", `ipnet_contains("0.0.0.0/0", ip6_saddr)`, v6, -1},
		{"ipv4-mapped address", `ipnet_contains("127.0.0.0/8", ip6_saddr)`, M{"ip6_saddr": "::ffff:127.0.0.1"}, 0},
		{"ipv6 zone ignored", `ipnet_contains("fe80::/10", ip6_saddr)`, M{"ip6_saddr": "fe80::1%eth0"}, 0},
		{"empty address", `ipnet_contains("0.0.0.0/0", ip_saddr)`, M{}, -1},
		{"invalid address", `ipnet_contains("0.0.0.0/0", ip_saddr)`, M{"ip_saddr": "not-an-ip"}, -1},
		{"computed CIDR", `ipnet_contains(k8s_src_pod, ip_saddr)`, M{"k8s_src_pod": "10.0.0.0/24", "ip_saddr": "10.0.0.9"}, 0},
		{"computed CIDR v6", `ipnet_contains(k8s_src_pod, ip6_saddr)`, M{"k8s_src_pod": "fd00::/16", "ip6_saddr": "fd00::9"}, 0},
		{"computed CIDR out", `ipnet_contains(k8s_src_pod, ip_saddr)`, M{"k8s_src_pod": "10.0.0.0/24", "ip_saddr": "10.0.1.9"}, -1},
		{"computed CIDR invalid", `ipnet_contains(k8s_src_pod, ip_saddr)`, M{"k8s_src_pod": "10.0.0.0", "ip_saddr": "10.0.0.0"}, -1},
		{"constant address", `ipnet_contains(k8s_src_pod, "10.0.0.1")`, M{"k8s_src_pod": "10.0.0.0/8"}, 0},
		{"all constant", `ipnet_contains("10.0.0.0/8", "10.0.0.1")`, M{}, 0},
		{"all constant v6", `ipnet_contains("fd00::/8", "fe00::1")`, M{}, -1},

		// has_prefix.
		{"has_prefix", `has_prefix(k8s_src_pod, "web-")`, web, 0},
		{"has_prefix false", `has_prefix(k8s_src_pod, "db-")`, web, -1},
		{"has_prefix empty prefix", `has_prefix(k8s_src_pod, "")`, M{}, 0},
		{"has_prefix ipv4 address", `has_prefix(ip_saddr, "10.")`, web, 0},
		{"has_prefix ipv6 address", `has_prefix(ip6_saddr, "fd00:")`, v6, 0},
		{"has_prefix computed", `has_prefix(k8s_src_pod, k8s_dst_pod)`, M{"k8s_src_pod": "web-1", "k8s_dst_pod": "web"}, 0},
		{"has_prefix computed false", `has_prefix(k8s_src_pod, k8s_dst_pod)`, M{"k8s_src_pod": "web", "k8s_dst_pod": "web-1"}, -1},
		{"has_prefix constant", `has_prefix("abc", "ab")`, M{}, 0},
		{"calls compose", `!has_prefix(k8s_src_pod, "db") && ipnet_contains("10.0.0.0/8", ip_saddr)`, web, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compile(tt.rules, Netlog)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.rules, err)
			}
			rule, dropped := r.Match(rec(tt.rec))
			if rule != tt.want || dropped != (tt.want >= 0) {
				t.Errorf("Match(%v) on %q = %d, %v; want %d", tt.rec, tt.rules, rule, dropped, tt.want)
			}
		})
	}
}

// countingRecord records which fields were read, to observe short-circuits.
type countingRecord struct {
	MapRecord
	read map[string]int
}

func (c *countingRecord) note(i int) { c.read[c.Schema.fields[i].Name]++ }
func (c *countingRecord) Bool(i int) bool {
	c.note(i)
	return c.MapRecord.Bool(i)
}
func (c *countingRecord) Int(i int) int64 {
	c.note(i)
	return c.MapRecord.Int(i)
}
func (c *countingRecord) Str(i int) string {
	c.note(i)
	return c.MapRecord.Str(i)
}

func TestShortCircuit(t *testing.T) {
	tests := []struct {
		rules  string
		rec    M
		unread string
	}{
		{"tcp || udp", M{"tcp": true}, "udp"},
		{"udp && tcp", M{}, "tcp"},
		{"tcp || udp || ipv4 || ipv6", M{"tcp": true}, "ipv6"},
		{"udp && tcp && ipv4 && ipv6", M{}, "ipv6"},
		{"tcp; udp", M{"tcp": true}, "udp"}, // Match stops at the first true rule
		{`tcp || has_prefix(k8s_src_pod, "x")`, M{"tcp": true}, "k8s_src_pod"},
	}
	for _, tt := range tests {
		r, err := Compile(tt.rules, Netlog)
		if err != nil {
			t.Fatal(err)
		}
		c := &countingRecord{MapRecord: rec(tt.rec), read: map[string]int{}}
		r.Match(c)
		if c.read[tt.unread] != 0 {
			t.Errorf("%q read %s: %v", tt.rules, tt.unread, c.read)
		}
		if len(c.read) == 0 {
			t.Errorf("%q read nothing", tt.rules)
		}
	}
}

func TestRuleInfo(t *testing.T) {
	r, err := Compile("\n  udp ;tcp &&\n   ipv4  # comment\n\t( ipv6 )", Netlog)
	if err != nil {
		t.Fatal(err)
	}
	want := []RuleInfo{{2, 3, "udp"}, {2, 8, "tcp &&\n   ipv4"}, {4, 2, "( ipv6 )"}}
	if r.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", r.Len(), len(want))
	}
	for i, w := range want {
		if got := r.Rule(i); got != w {
			t.Errorf("Rule(%d) = %+v, want %+v", i, got, w)
		}
	}
}

// A schema other than netlog: each context declares its own fields.
func TestCustomSchema(t *testing.T) {
	http := NewSchema(Field{"method", String}, Field{"status_code", Int}, Field{"tls", Bool})
	r, err := Compile(`method == "GET" && status_code >= 500 || tls`, http)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rec  M
		want bool
	}{
		{M{"method": "GET", "status_code": 503}, true},
		{M{"method": "GET", "status_code": 200}, false},
		{M{"tls": true}, true},
	} {
		if _, got := r.Match(MapRecord{Schema: http, Values: tt.rec}); got != tt.want {
			t.Errorf("%v: dropped = %v, want %v", tt.rec, got, tt.want)
		}
	}
	if _, err := Compile("tcp", http); err == nil {
		t.Error("netlog field tcp accepted by the http schema")
	}
	if i, ok := http.Index("tls"); !ok || i != 2 {
		t.Errorf("Index(tls) = %d, %v", i, ok)
	}
	if f := http.Fields(); len(f) != 3 || f[1] != (Field{"status_code", Int}) {
		t.Errorf("Fields() = %v", f)
	}
}

func TestNewSchemaPanics(t *testing.T) {
	for name, fields := range map[string][]Field{
		"duplicate":  {{"a", Int}, {"a", Bool}},
		"bad name":   {{"a-b", Int}},
		"empty name": {{"", Int}},
		"keyword":    {{"true", Bool}},
		"bad kind":   {{"a", 0}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewSchema did not panic", name)
				}
			}()
			NewSchema(fields...)
		}()
	}
}
