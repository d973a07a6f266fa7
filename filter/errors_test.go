package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// positions renders the errors of err as "line:col: msg" lines.
func positions(err error) []string {
	var out []string
	for _, e := range errorsOf(err) {
		out = append(out, fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg))
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		// Lexical errors.
		{"single =", "dst_port = 80", []string{`1:10: unexpected '='; did you mean "=="?`}},
		{"single &", "tcp & udp", []string{`1:5: unexpected '&'; did you mean "&&"?`}},
		{"single |", "tcp | udp", []string{`1:5: unexpected '|'; did you mean "||"?`}},
		{"bad character", "tcp @ udp", []string{`1:5: unexpected character '@'`}},
		{"non-ASCII character", "é == 1", []string{`1:1: unexpected character 'é'`}},
		{"unterminated string", `ip_saddr == "10.0.0.1`, []string{`1:13: string not terminated`}},
		{"newline in string", "ip_saddr == '10.0.0.1\n'", []string{`1:13: string not terminated`, `2:1: string not terminated`}},
		{"bad escape", `ip_saddr == "a\qb"`, []string{`1:15: invalid escape sequence in string`}},
		{"integer too big", "src_port == 9223372036854775808", []string{`1:13: integer 9223372036854775808 out of range (64-bit signed)`}},
		{"bad integer", "src_port == 80ab", []string{`1:13: invalid integer "80ab"`}},

		// Syntax errors.
		{"missing operand at end", "tcp &&", []string{`1:7: expected an operand after '&&', found end of rules`}},
		{"missing operand before ;", "tcp || ; udp", []string{`1:8: expected an operand after '||', found ';'`}},
		{"missing right side", "dst_port ==\n", []string{`2:1: expected an operand after '==', found end of rules`}},
		{"missing operator", "tcp udp", []string{`1:5: unexpected identifier udp after the end of an expression; missing operator, or ';' between rules?`}},
		{"operator first", "== 80", []string{`1:1: expected an operand, found '=='`}},
		{"operator after a line break", "tcp\n  || udp", []string{`2:3: unexpected '||' at the start of a line; a line break ends a rule unless it follows an operator, so break the line after '||' instead`}},
		{"! without operand", "!", []string{`1:2: expected an operand after '!', found end of rules`}},
		{"empty argument", `has_prefix(k8s_src_pod, )`, []string{`1:25: unexpected ')'; expected an operand`}},
		{"missing comma", `has_prefix(k8s_src_pod "a")`, []string{`1:24: expected ',' or ')' in the arguments of has_prefix (opened at 1:11), found string "a"`}},

		// Unbalanced parentheses.
		{"unclosed (", "(tcp || udp", []string{`1:12: expected ')' to close the '(' at 1:1, found end of rules`}},
		{"unclosed ( before ;", "(tcp || udp; ipv6", []string{`1:12: expected ')' to close the '(' at 1:1, found ';'`}},
		{"unclosed nested (", "((tcp)", []string{`1:7: expected ')' to close the '(' at 1:1, found end of rules`}},
		{"unclosed ( spans lines", "udp && (tcp\nipv6", []string{`2:1: expected ')' to close the '(' at 1:8, found identifier ipv6`}},
		{"extra )", "tcp)", []string{`1:4: unexpected ')' without a matching '('`}},
		{"lone )", ")", []string{`1:1: unexpected ')'; expected an operand`}},
		{"empty ()", "()", []string{`1:2: unexpected ')'; expected an operand`}},
		{"unclosed call", `has_prefix(k8s_src_pod, "a"`, []string{`1:28: expected ',' or ')' in the arguments of has_prefix (opened at 1:11), found end of rules`}},

		// Names.
		{"unknown field", "src_prot == 80", []string{`1:1: unknown field src_prot (did you mean src_port?)`}},
		{"unknown field, no suggestion", "process_name == 'x'", []string{`1:1: unknown field process_name`}},
		{"unknown function", "has_prefx(k8s_src_pod, 'a')", []string{`1:1: unknown function has_prefx (did you mean has_prefix?)`}},
		{"unknown function, no suggestion", "contains(k8s_src_pod, 'a')", []string{`1:1: unknown function contains (functions: has_prefix, ipnet_contains)`}},
		{"field called", "tcp()", []string{`1:1: tcp is a field, not a function`}},
		{"function not called", "has_prefix", []string{`1:1: has_prefix is a function; call it as has_prefix(s, prefix)`}},

		// Function arguments.
		{"too few arguments", "has_prefix(k8s_src_pod)", []string{`1:1: has_prefix takes 2 arguments (s, prefix), got 1`}},
		{"too many arguments", "ipnet_contains('10.0.0.0/8', ip_saddr, ip_daddr)", []string{`1:1: ipnet_contains takes 2 arguments (cidr, ip), got 3`}},
		{"no arguments", "has_prefix()", []string{`1:1: has_prefix takes 2 arguments (s, prefix), got 0`}},
		{"wrong argument type", "has_prefix(src_port, '8')", []string{`1:12: argument s of has_prefix must be string, not int`}},
		{"wrong argument types", "ipnet_contains(8, tcp)", []string{`1:16: argument cidr of ipnet_contains must be string, not int`, `1:19: argument ip of ipnet_contains must be string, not bool`}},
		{"bad IPv4 CIDR", `ipnet_contains("10.0.0/8", ip_saddr)`, []string{`1:16: invalid CIDR "10.0.0/8" in ipnet_contains: ParseAddr("10.0.0"): IPv4 address too short (want e.g. "10.0.0.0/8" or "fd00::/8")`}},
		{"bad IPv6 CIDR", `ipnet_contains("fd00::/129", ip6_saddr)`, []string{`1:16: invalid CIDR "fd00::/129" in ipnet_contains: prefix length out of range (want e.g. "10.0.0.0/8" or "fd00::/8")`}},
		{"CIDR without length", `ipnet_contains('10.0.0.1', ip_saddr)`, []string{`1:16: invalid CIDR "10.0.0.1" in ipnet_contains: no '/' (want e.g. "10.0.0.0/8" or "fd00::/8")`}},
		{"bad constant address", `ipnet_contains(k8s_src_pod, "10.0.0.256")`, []string{`1:29: invalid IP address "10.0.0.256" in ipnet_contains`}},
		{"bad CIDR on line 3", "tcp\nudp\n  ipv4 && ipnet_contains(\n\t'fd00:/8', ip6_saddr)", []string{`4:2: invalid CIDR "fd00:/8" in ipnet_contains: ParseAddr("fd00:"): colon must be followed by more characters (at ":") (want e.g. "10.0.0.0/8" or "fd00::/8")`}},

		// Types.
		{"int == string", "dst_port == '80'", []string{`1:10: mismatched types int and string in '=='`}},
		{"string != bool", "ip_saddr != tcp", []string{`1:10: mismatched types string and bool in '!='`}},
		{"bool == int", "tcp == 1", []string{`1:5: mismatched types bool and int in '=='`}},
		{"chained comparison", "1 < dst_port < 100", []string{`1:14: mismatched types bool and int in '<'`}},
		{"< on strings", "ip_saddr < ip_daddr", []string{`1:10: operator '<' is not defined on string (only on int)`}},
		{">= on strings", "'a' >= 'b'", []string{`1:5: operator '>=' is not defined on string (only on int)`}},
		{"> on bools", "tcp > udp", []string{`1:5: operator '>' is not defined on bool (only on int)`}},
		{"<= on bools", "tcp <= true", []string{`1:5: operator '<=' is not defined on bool (only on int)`}},
		{"&& on int", "tcp && src_port", []string{`1:8: operand of '&&' must be bool, not int`}},
		{"|| on string", "ip_saddr || tcp", []string{`1:1: operand of '||' must be bool, not string`}},
		{"&& on both", "1 && 'a'", []string{`1:1: operand of '&&' must be bool, not int`, `1:6: operand of '&&' must be bool, not string`}},
		{"! on int", "!dst_port", []string{`1:2: operand of '!' must be bool, not int`}},
		{"! binds tighter than ==", "!dst_port == 80", []string{`1:2: operand of '!' must be bool, not int`}},
		{"! on parenthesised string", "!(ip_saddr)", []string{`1:2: operand of '!' must be bool, not string`}},
		{"int rule", "dst_port", []string{`1:1: a rule must be bool, but this one is int; compare it with == or !=`}},
		{"string rule", "  'x'", []string{`1:3: a rule must be bool, but this one is string; compare it with == or !=`}},

		{"nested too deep", strings.Repeat("(", 2000) + "tcp" + strings.Repeat(")", 2000), []string{`1:1001: expression nested more than 1000 deep`}},
		{"! nested too deep", strings.Repeat("!", 5000) + "tcp", []string{`1:1001: expression nested more than 1000 deep`}},

		// Several errors: all reported, in source order, one per bad rule
		// plus every type error within a rule.
		{"several", "tcp &&\n;src_prot == 1; dst_port == 'x' || udp == 1\nipv6", []string{
			`2:1: expected an operand after '&&', found ';'`,
			`2:2: unknown field src_prot (did you mean src_port?)`,
			`2:26: mismatched types int and string in '=='`,
			`2:40: mismatched types bool and int in '=='`,
		}},
		{"lexical and syntax errors sorted", "dst_port == 'x\n(tcp", []string{
			`1:13: string not terminated`,
			`2:5: expected ')' to close the '(' at 2:1, found end of rules`,
		}},
		{"no cascade after an unknown field", "!(foo == 1) && foo < 2", []string{`1:3: unknown field foo`, `1:16: unknown field foo`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compile(tt.src, Netlog)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded with %d rules", tt.src, r.Len())
			}
			if r != nil {
				t.Errorf("Compile returned rules along with an error")
			}
			got := positions(err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Compile(%q) errors:\n%s\nwant:\n%s", tt.src, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var one *Error
			if !errors.As(err, &one) || fmt.Sprintf("%d:%d: %s", one.Line, one.Col, one.Msg) != tt.want[0] {
				t.Errorf("errors.As(*Error) = %v, want the first error", one)
			}
			if _, isList := err.(ErrorList); isList != (len(tt.want) > 1) {
				t.Errorf("error type %T for %d errors", err, len(tt.want))
			}
		})
	}
}

func TestErrorRendering(t *testing.T) {
	_, err := Compile("tcp\n\tudp && src_prot == 80", Netlog)
	want := "2:9: unknown field src_prot (did you mean src_port?)\n" +
		"    \tudp && src_prot == 80\n" +
		"    \t       ^"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}

	// Columns count characters, so the caret sits under the error after
	// multi-byte text; the excerpt drops the \r of a CRLF line.
	_, err = Compile("k8s_src_pod == 'pödé' && 1\r\n", Netlog)
	want = "1:26: operand of '&&' must be bool, not int\n" +
		"    k8s_src_pod == 'pödé' && 1\n" +
		"                             ^"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}

	_, err = Compile("a; b", Netlog)
	want = "1:1: unknown field a\n    a; b\n    ^\n1:4: unknown field b\n    a; b\n       ^"
	if err == nil || err.Error() != want {
		t.Errorf("ErrorList.Error() =\n%v\nwant\n%s", err, want)
	}
}

func TestLongLineExcerpt(t *testing.T) {
	src := strings.Repeat("tcp; ", 40) + "src_prot == 80; " + strings.Repeat("udp; ", 40)
	_, err := Compile(src, Netlog)
	want := "1:201: unknown field src_prot (did you mean src_port?)\n" +
		"    ...tcp; tcp; tcp; tcp; tcp; tcp; tcp; tcp; tcp; tcp; tcp; tcp; src_prot == 80; udp; udp; udp; udp; udp; udp; udp; udp; udp;...\n" +
		"       " + strings.Repeat(" ", 60) + "^"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
}

func TestTooManyErrors(t *testing.T) {
	src := strings.Repeat("nope;", 25)
	_, err := Compile(src, Netlog)
	got := errorsOf(err)
	if len(got) != maxErrors {
		t.Fatalf("%d errors reported, want %d", len(got), maxErrors)
	}
	if last := got[maxErrors-1].Msg; last != "unknown field nope (and 15 more errors)" {
		t.Errorf("last error %q", last)
	}
}
