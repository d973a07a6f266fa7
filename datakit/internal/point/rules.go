package point

import (
	"fmt"
	"strings"
)

// DataKit checks every point of a category and fixes what it can, leaving
// a warning on the point; with ?strict= set it refuses any point that got
// one (400 datakit.pointGotWarning). These are its rules (cliutils
// point/check.go, specs.go and the category options its write API uses),
// with its warning names. Network, tracing, keyevent, custom_object,
// security and rum have none.

// DefaultMeasurement replaces an empty measurement name, as in DataKit.
const DefaultMeasurement = "__default"

// Rules are one category's checks.
type Rules struct {
	noStrings bool     // metric: fields are numbers; string and binary fields are dropped
	noDots    bool     // logging, object: '.' in a key becomes '_'
	disabled  []string // keys that are dropped
	required  Tag      // added as a string field when no tag or field has the key
}

// CategoryRules returns the checks of category (none for unknown ones).
func CategoryRules(category string) Rules {
	switch category {
	case "metric":
		return Rules{noStrings: true}
	case "logging":
		return Rules{noDots: true, disabled: []string{"source", "date"}, required: Tag{"status", "info"}}
	case "object":
		return Rules{noDots: true, disabled: []string{"class", "date"}, required: Tag{"name", "default"}}
	}
	return Rules{}
}

func (r *Rules) active() bool {
	return r.noStrings || r.noDots || len(r.disabled) > 0 || r.required.Key != ""
}

// checker applies a request's rules; one per decode.
type checker struct {
	Rules
	strict bool
	onFix  func(warning string)
}

func newChecker(opt *Options) checker {
	return checker{Rules: CategoryRules(opt.Category), strict: opt.Strict, onFix: opt.OnFix}
}

// warn records a fix, or under strict returns it as the point's error.
func (c *checker) warn(typ, key, format string, a ...any) *Error {
	if c.strict {
		return &Error{Kind: Warning, Key: key, Msg: typ + ": " + fmt.Sprintf(format, a...)}
	}
	if c.onFix != nil {
		c.onFix(typ)
	}
	return nil
}

// fieldOps lets the rules work on both decoders' field types.
type fieldOps[F any] struct {
	key    func(*F) *string
	text   func(*F) bool // a string or binary value: not a number
	newStr func(key, value string) F
}

// apply runs the rules over one point's tags and fields. changed reports
// that keys were dropped, renamed or added: the point must be sorted again.
func apply[F any](c *checker, tags []Tag, fields []F, ops *fieldOps[F]) (_ []Tag, _ []F, changed bool, err *Error) {
	if !c.active() {
		return tags, fields, false, nil
	}
	has := func(k string) bool {
		for i := range tags {
			if tags[i].Key == k {
				return true
			}
		}
		for i := range fields {
			if *ops.key(&fields[i]) == k {
				return true
			}
		}
		return false
	}
	// keep decides about one key: false drops it; it may rename it.
	keep := func(key *string, what, dotWarning string) (bool, *Error) {
		if c.noDots && strings.IndexByte(*key, '.') >= 0 {
			if err := c.warn(dotWarning, *key, "invalid %s key `%s': found `.'", what, *key); err != nil {
				return false, err
			}
			changed = true
			nk := strings.ReplaceAll(*key, ".", "_")
			if has(nk) {
				return false, nil // DataKit drops it: the new key is taken
			}
			*key = nk
		}
		for _, d := range c.disabled {
			if *key == d {
				changed = true
				return false, c.warn("tag_disabled", *key, "%s key %q disabled", what, *key)
			}
		}
		return true, nil
	}
	out := tags[:0]
	for _, t := range tags {
		ok, err := keep(&t.Key, "tag", "invalid_tag_key")
		if err != nil {
			return nil, nil, false, err
		}
		if ok {
			out = append(out, t)
		}
	}
	tags = out
	kept := fields[:0]
	for i := range fields {
		f := fields[i]
		k := ops.key(&f)
		if c.noStrings && ops.text(&f) {
			if err := c.warn("invalid_field_value_type", *k, "field(%s) dropped with string value: metric fields are numbers", *k); err != nil {
				return nil, nil, false, err
			}
			changed = true
			continue
		}
		ok, err := keep(k, "field", "dot_in_key")
		if err != nil {
			return nil, nil, false, err
		}
		if ok {
			kept = append(kept, f)
		}
	}
	fields = kept
	if rk := c.required; rk.Key != "" && !has(rk.Key) {
		if err := c.warn("add_required_kv", rk.Key, "add required key-value %q: %q", rk.Key, rk.Value); err != nil {
			return nil, nil, false, err
		}
		changed = true
		fields = append(fields, ops.newStr(rk.Key, rk.Value))
	}
	if len(fields) == 0 {
		return nil, nil, false, syntaxErrorf("", "no fields left: a metric's string fields are dropped")
	}
	return tags, fields, changed, nil
}

// conflicts finds, under strict, what DataKit warns about in a sorted
// point: the same key as a tag and as a field.
func (c *checker) conflicts(tags []Tag, fieldKey func(i int) string, nfields int) *Error {
	if !c.strict {
		return nil
	}
	for i, j := 0, 0; i < len(tags) && j < nfields; {
		switch fk := fieldKey(j); {
		case tags[i].Key == fk:
			return c.warn("key_name_conflict", fk, "same key (%q) as a tag and a field", fk)
		case tags[i].Key < fk:
			i++
		default:
			j++
		}
	}
	return nil
}

// unique finds, under strict, a key written twice in a point (DataKit
// keeps one of them and warns).
func (c *checker) unique(tags []Tag, fields []lpField) *Error {
	if !c.strict {
		return nil
	}
	if k, dup := dupKey(tags, tagKey); dup {
		return c.warn("key_name_conflict", k, "same key (%q)", k)
	}
	if k, dup := dupKey(fields, lpFieldKey); dup {
		return c.warn("key_name_conflict", k, "same key (%q)", k)
	}
	return nil
}
