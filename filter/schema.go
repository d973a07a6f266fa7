// Package filter implements the small rule language used to drop records
// before they are reported, starting with the bpf-netlog blacklist
// (`netlog_blacklist`). A rule set is compiled once against a Schema that
// declares the record fields and their types; Match then evaluates it on each
// record without allocating. See README.md for the language reference.
package filter

import "fmt"

// Kind is the type of a field or expression.
type Kind uint8

// The three value types of the language.
const (
	Bool Kind = iota + 1
	Int
	String
)

func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case String:
		return "string"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Field declares one record field that rules may reference.
type Field struct {
	Name string
	Kind Kind
}

// Schema is the set of fields a kind of record offers. Each context
// (netlog, netflow, httpflow, ...) declares its own; field i of the schema is
// read from a Record with index i.
type Schema struct {
	fields []Field
	index  map[string]int
}

// NewSchema declares a schema. It panics on an empty or duplicate name, a name
// that is not an identifier, or an unknown Kind: schemas are written by
// programmers, not users.
func NewSchema(fields ...Field) *Schema {
	s := &Schema{fields: append([]Field(nil), fields...), index: make(map[string]int, len(fields))}
	for i, f := range fields {
		if !isIdent(f.Name) || f.Name == "true" || f.Name == "false" {
			panic(fmt.Sprintf("filter: field name %q is not an identifier", f.Name))
		}
		if f.Kind < Bool || f.Kind > String {
			panic(fmt.Sprintf("filter: field %q has invalid kind %d", f.Name, f.Kind))
		}
		if _, dup := s.index[f.Name]; dup {
			panic(fmt.Sprintf("filter: duplicate field %q", f.Name))
		}
		s.index[f.Name] = i
	}
	return s
}

// Index returns the index of the named field.
func (s *Schema) Index(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Fields returns a copy of the declared fields, in index order.
func (s *Schema) Fields() []Field { return append([]Field(nil), s.fields...) }

func (s *Schema) names() []string {
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = f.Name
	}
	return names
}

func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentStart(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Netlog is the schema of bpf-netlog packet records. Addresses are in their
// textual form; ip_* hold IPv4 and ip6_* IPv6 addresses.
var Netlog = NewSchema(
	Field{"tcp", Bool},
	Field{"udp", Bool},
	Field{"ipv4", Bool},
	Field{"ipv6", Bool},
	Field{"src_port", Int},
	Field{"dst_port", Int},
	Field{"ip_saddr", String},
	Field{"ip_daddr", String},
	Field{"ip6_saddr", String},
	Field{"ip6_daddr", String},
	Field{"k8s_src_pod", String},
	Field{"k8s_dst_pod", String},
)
