package filter

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"netobs.local/agent/didyoumean"
)

type param struct {
	name string
	kind Kind
}

// builtin is a function of the language. build gets type-checked arguments.
type builtin struct {
	params []param
	build  func(c *compiler, call *callExpr, args []value) value
}

func (b builtin) signature() string {
	names := make([]string, len(b.params))
	for i, p := range b.params {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

var builtins = map[string]builtin{
	"ipnet_contains": {params: []param{{"cidr", String}, {"ip", String}}, build: buildIPNetContains},
	"has_prefix":     {params: []param{{"s", String}, {"prefix", String}}, build: buildHasPrefix},
}

func (c *compiler) call(n *callExpr) value {
	fn, ok := builtins[n.name]
	if !ok {
		if _, isField := c.schema.Index(n.name); isField {
			c.errs.add(n.p, fmt.Sprintf("%s is a field, not a function", n.name))
		} else {
			names := make([]string, 0, len(builtins))
			for name := range builtins {
				names = append(names, name)
			}
			sort.Strings(names)
			hint := suggest(n.name, names)
			if hint == "" {
				hint = " (functions: " + strings.Join(names, ", ") + ")"
			}
			c.errs.add(n.p, fmt.Sprintf("unknown function %s%s", n.name, hint))
		}
		return value{}
	}
	args := make([]value, len(n.args))
	ok = true
	for i, a := range n.args {
		args[i] = c.expr(a)
		ok = ok && args[i].kind != 0
	}
	if len(args) != len(fn.params) {
		c.errs.add(n.p, fmt.Sprintf("%s takes %d arguments (%s), got %d", n.name, len(fn.params), fn.signature(), len(args)))
		return value{}
	}
	for i, a := range args {
		if a.kind != 0 && a.kind != fn.params[i].kind {
			c.errs.add(a.p, fmt.Sprintf("argument %s of %s must be %s, not %s", fn.params[i].name, n.name, fn.params[i].kind, a.kind))
			ok = false
		}
	}
	if !ok {
		return value{}
	}
	v := fn.build(c, n, args)
	if v.kind == 0 {
		return v
	}
	return fold(v, args...)
}

// buildIPNetContains: ipnet_contains(cidr, ip) is true when the address ip
// lies in the network cidr. A constant cidr is parsed here, once; a computed
// one is parsed on each evaluation and makes the call false if it is invalid.
func buildIPNetContains(c *compiler, n *callExpr, args []value) value {
	cidr, ip := args[0], args[1]
	if ip.isConst {
		if _, err := netip.ParseAddr(stripZone(ip.cs)); err != nil {
			c.errs.add(ip.p, fmt.Sprintf("invalid IP address %q in ipnet_contains", ip.cs))
			return value{}
		}
	}
	ipf := ip.s
	if cidr.isConst {
		prefix, err := netip.ParsePrefix(cidr.cs)
		if err != nil {
			reason := strings.TrimPrefix(err.Error(), "netip.ParsePrefix("+strconv.Quote(cidr.cs)+"): ")
			c.errs.add(cidr.p, fmt.Sprintf("invalid CIDR %q in ipnet_contains: %s (want e.g. \"10.0.0.0/8\" or \"fd00::/8\")", cidr.cs, reason))
			return value{}
		}
		prefix = prefix.Masked()
		return value{kind: Bool, p: n.p, b: func(r Record) bool { return prefixContains(prefix, ipf(r)) }}
	}
	cidrf := cidr.s
	return value{kind: Bool, p: n.p, b: func(r Record) bool {
		prefix, ok := parsePrefix(cidrf(r))
		return ok && prefixContains(prefix.Masked(), ipf(r))
	}}
}

// prefixContains parses ip and tests it against prefix. An IPv4-mapped IPv6
// address (::ffff:a.b.c.d) also matches IPv4 networks, and an IPv6 zone
// (fe80::1%eth0) is ignored. An empty or invalid address is in no network.
func prefixContains(prefix netip.Prefix, ip string) bool {
	addr, ok := parseAddr(stripZone(ip))
	if !ok {
		return false
	}
	return prefix.Contains(addr) || addr.Is4In6() && prefix.Contains(addr.Unmap())
}

func stripZone(ip string) string {
	if i := strings.IndexByte(ip, '%'); i >= 0 {
		return ip[:i]
	}
	return ip
}

func buildHasPrefix(c *compiler, n *callExpr, args []value) value {
	s, prefix := args[0].s, args[1]
	if prefix.isConst {
		pc := prefix.cs
		return value{kind: Bool, p: n.p, b: func(r Record) bool { return strings.HasPrefix(s(r), pc) }}
	}
	pf := prefix.s
	return value{kind: Bool, p: n.p, b: func(r Record) bool { return strings.HasPrefix(s(r), pf(r)) }}
}

// suggest is didyoumean.Hint, named for the call sites.
func suggest(name string, candidates []string) string { return didyoumean.Hint(name, candidates) }
