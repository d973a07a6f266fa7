package measure

import (
	"fmt"
	"slices"
)

// Check reports the first way a point's tags and fields disagree with the
// declaration m: an undeclared tag or field, a declared tag that is missing
// (every point carries all of them, N/A when unknown: Complete), or a field
// of another type. fieldTypes maps each field name to its encoded type.
func (m *Measurement) Check(tags []string, fieldTypes map[string]Type) error {
	for _, t := range tags {
		if !m.HasTag(t) {
			return fmt.Errorf("measurement %s: tag %q is not declared", m.Name, t)
		}
	}
	for _, t := range m.Tags {
		if !slices.Contains(tags, t.Name) {
			return fmt.Errorf("measurement %s: declared tag %q is missing", m.Name, t.Name)
		}
	}
	for name, typ := range fieldTypes {
		want, ok := m.FieldType(name)
		if !ok {
			return fmt.Errorf("measurement %s: field %q is not declared", m.Name, name)
		}
		if want != typ {
			return fmt.Errorf("measurement %s: field %q is %s, declared %s", m.Name, name, typ, want)
		}
	}
	return nil
}

// Lookup returns the declared measurement called name.
func Lookup(name string) (*Measurement, bool) {
	mu.Lock()
	defer mu.Unlock()
	m, ok := all[name]
	return m, ok
}
