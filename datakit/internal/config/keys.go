package config

import (
	"reflect"
	"strings"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/inputs"
)

// tableLines locates one [[table]] in a file: its header line and the line
// of each key set directly in it (a sub-table counts as its key).
type tableLines struct {
	header int
	keys   map[string]int
}

// findTable finds the nth (0-based) [[name]] table of src. The toml
// library keeps key positions to itself, hence the scan.
func findTable(src, name string, nth int) tableLines {
	tl := tableLines{keys: map[string]int{}}
	in, seen := false, -1
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(strings.SplitN(raw, "#", 2)[0])
		if strings.HasPrefix(line, "[") {
			h := strings.ReplaceAll(strings.Trim(line, "[] "), " ", "")
			switch {
			case h == name && strings.HasPrefix(line, "[["):
				seen++
				in = seen == nth
				if in {
					tl.header = i + 1
				}
			case in && strings.HasPrefix(h, name+"."):
				sub := strings.SplitN(strings.TrimPrefix(h, name+"."), ".", 2)[0]
				if tl.keys[sub] == 0 {
					tl.keys[sub] = i + 1
				}
			default:
				if seen >= nth {
					return tl
				}
				in = false
			}
			continue
		}
		if k, _, ok := strings.Cut(line, "="); ok && in {
			k = strings.Trim(strings.TrimSpace(k), `"'`)
			if tl.keys[k] == 0 {
				tl.keys[k] = i + 1
			}
		}
	}
	return tl
}

// InputKeys lists the keys [[inputs.NAME]] accepts (nil for an unknown
// input), as the loader knows them.
func InputKeys(name string) []string { return knownKeys([]string{"inputs", name}) }

// knownKeys lists the keys a table at path accepts, for "did you mean".
func knownKeys(path []string) []string {
	t := reflect.TypeOf(mainFile{})
	for i := 0; i < len(path); i++ {
		switch {
		case i == 0 && len(path) >= 2 && path[0] == "inputs":
			reg, ok := inputs.Get(path[1])
			if !ok {
				return nil
			}
			t, i = reflect.TypeOf(reg.New()), 1
		case i == 0 && len(path) >= 2 && path[0] == "outputs":
			reg, ok := outputs.Get(path[1])
			if !ok {
				return nil
			}
			t, i = reflect.TypeOf(reg.New()), 1
		default:
			f, ok := fieldByKey(t, path[i])
			if !ok {
				return nil
			}
			t = f
		}
	}
	return keysOf(t)
}

func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// keysOf lists the toml keys of struct t, embedded structs included.
func keysOf(t reflect.Type) []string {
	t = structOf(t)
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("toml"), ",")[0]
		switch {
		case f.Anonymous && name == "":
			out = append(out, keysOf(f.Type)...)
		case name != "" && name != "-":
			out = append(out, name)
		}
	}
	return out
}

func fieldByKey(t reflect.Type, key string) (reflect.Type, bool) {
	t = structOf(t)
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("toml"), ",")[0]
		if f.Anonymous && name == "" {
			if ft, ok := fieldByKey(f.Type, key); ok {
				return ft, true
			}
		}
		if name == key {
			return f.Type, true
		}
	}
	return nil, false
}
