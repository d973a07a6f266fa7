package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// MapRecord is a Record over named values, such as a JSON object decoded
// into map[string]any; the command line and tests use it. A missing field,
// or one of the wrong type, reads as the zero value: use ParseRecord to
// reject those instead.
type MapRecord struct {
	Schema *Schema
	Values map[string]any
}

func (m MapRecord) value(i int) any { return m.Values[m.Schema.fields[i].Name] }

// Bool implements Record.
func (m MapRecord) Bool(i int) bool {
	b, _ := m.value(i).(bool)
	return b
}

// Int implements Record.
func (m MapRecord) Int(i int) int64 {
	n, _ := toInt(m.value(i))
	return n
}

// Str implements Record.
func (m MapRecord) Str(i int) string {
	s, _ := m.value(i).(string)
	return s
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt64 && n < math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

// ParseRecord decodes a JSON object into a MapRecord of schema s. Unlike
// MapRecord itself it is strict: a field the schema does not declare, a value
// of the wrong type (or null) and trailing data are errors naming the field.
func ParseRecord(s *Schema, data []byte) (MapRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return MapRecord{}, fmt.Errorf("record: %w", err)
	}
	if values == nil {
		return MapRecord{}, fmt.Errorf("record: want a JSON object, got null")
	}
	if dec.More() {
		return MapRecord{}, fmt.Errorf("record: unexpected data after the JSON object")
	}
	for _, name := range slices.Sorted(maps.Keys(values)) { // first error is stable
		v := values[name]
		i, ok := s.Index(name)
		if !ok {
			return MapRecord{}, fmt.Errorf("record: unknown field %q%s", name, suggest(name, s.names()))
		}
		want := s.fields[i].Kind
		var good bool
		switch want {
		case Bool:
			_, good = v.(bool)
		case Int:
			_, good = toInt(v)
		case String:
			_, good = v.(string)
		}
		if !good {
			return MapRecord{}, fmt.Errorf("record: field %q must be %s, got %s", name, want, jsonType(v))
		}
	}
	return MapRecord{Schema: s, Values: values}, nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number " + v.String()
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}
