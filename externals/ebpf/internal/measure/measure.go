// Package measure declares every measurement the collector emits: its name,
// category, tags and fields with types and units. The reference docs are
// generated from these declarations (see doc.go), so the two cannot drift.
package measure

import (
	"slices"
	"sort"
	"sync"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Type is a field's line-protocol type.
type Type string

const (
	Int    Type = "int"
	Uint   Type = "uint"
	Float  Type = "float"
	String Type = "string"
	Bool   Type = "bool"
)

// Tag is one tag of a measurement.
type Tag struct {
	Name string
	Desc string
}

// Field is one field of a measurement.
type Field struct {
	Name string
	Type Type
	Unit string // e.g. "B", "ns", "µs", "count", "-"
	Desc string
}

// Measurement is one measurement's schema.
type Measurement struct {
	Name     string
	Category string // the /v1/write category: network, logging, tracing, ...
	Plugin   string // the collector plugin that emits it, e.g. ebpf-net
	Desc     string
	Tags     []Tag
	Fields   []Field
}

// HasTag reports whether the schema declares tag name.
func (m *Measurement) HasTag(name string) bool {
	for _, t := range m.Tags {
		if t.Name == name {
			return true
		}
	}
	return false
}

// FieldType returns the declared type of field name.
func (m *Measurement) FieldType(name string) (Type, bool) {
	for _, f := range m.Fields {
		if f.Name == name {
			return f.Type, true
		}
	}
	return "", false
}

var (
	mu  sync.Mutex
	all = map[string]*Measurement{}
)

// Register declares a measurement and returns it; a duplicate name panics.
func Register(m Measurement) *Measurement {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := all[m.Name]; dup {
		panic("measure: duplicate measurement " + m.Name)
	}
	p := &m
	all[m.Name] = p
	return p
}

// All returns every declared measurement sorted by name.
func All() []*Measurement {
	mu.Lock()
	defer mu.Unlock()
	out := make([]*Measurement, 0, len(all))
	for _, m := range all {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Complete returns tags, then "N/A" for every tag m declares that neither
// tags nor extra carries, then extra: a point of m always has all its tags,
// whatever its source could tell.
func (m *Measurement) Complete(tags, extra []lp.Tag) []lp.Tag {
	has := func(ts []lp.Tag, key string) bool {
		return slices.ContainsFunc(ts, func(t lp.Tag) bool { return t.Key == key })
	}
	for _, t := range m.Tags {
		if !has(tags, t.Name) && !has(extra, t.Name) {
			tags = append(tags, lp.Tag{Key: t.Name, Value: "N/A"})
		}
	}
	return append(tags, extra...)
}
