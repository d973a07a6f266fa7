package point

import (
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Limits bound a single point. A zero field means the default from
// DefaultLimits; the API answers 400 datakit.pointLimit when one is broken.
type Limits struct {
	MaxTags       int // tags per point
	MaxFields     int // fields per point
	MaxKeyBytes   int // measurement name, tag key, field key
	MaxValueBytes int // tag value, string field value
	// MaxMessageBytes bounds the string field "message" (a log's text)
	// instead of MaxValueBytes, and that field is not counted in
	// MaxPointBytes.
	MaxMessageBytes int
	// MaxPointBytes bounds the decoded size of a point: the measurement name
	// plus every key and value (8 bytes for a number or bool).
	MaxPointBytes int
}

// DefaultLimits are generous for metrics and logs and still stop a
// single request from building a pathological point.
var DefaultLimits = Limits{
	MaxTags:         256,
	MaxFields:       1024,
	MaxKeyBytes:     256,
	MaxValueBytes:   64 << 10,
	MaxMessageBytes: 32 << 20, // DataKit's bound on any string field
	MaxPointBytes:   1 << 20,
}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxTags > 0 {
		d.MaxTags = l.MaxTags
	}
	if l.MaxFields > 0 {
		d.MaxFields = l.MaxFields
	}
	if l.MaxKeyBytes > 0 {
		d.MaxKeyBytes = l.MaxKeyBytes
	}
	if l.MaxValueBytes > 0 {
		d.MaxValueBytes = l.MaxValueBytes
	}
	if l.MaxPointBytes > 0 {
		d.MaxPointBytes = l.MaxPointBytes
	}
	if l.MaxMessageBytes > 0 {
		d.MaxMessageBytes = l.MaxMessageBytes
	}
	return d
}

// pointSize accumulates MaxPointBytes as a point is built, so that the
// line-protocol decoder can stop early on a huge point.
type pointSize struct {
	lim  *Limits
	size int
}

// add counts n more bytes, blaming key when the point gets too big.
// key is a []byte so that the line-protocol path converts it to a string
// only on failure.
func (s *pointSize) add(key []byte, n int) *Error {
	s.size += n
	if s.size > s.lim.MaxPointBytes {
		return s.tooLarge(key)
	}
	return nil
}

// tooLarge is add's error, out of line so that add inlines.
func (s *pointSize) tooLarge(key []byte) *Error {
	return limitErrorf(string(key), "point is larger than %d bytes (max_point_bytes)", s.lim.MaxPointBytes)
}

func valueSize(v lineprotocol.Value) int {
	if v.Kind() == lineprotocol.String {
		return len(v.BytesV())
	}
	return 8
}

func (l *Limits) checkKey(what, key string) *Error {
	if len(key) > l.MaxKeyBytes {
		return limitErrorf(key, "%s is %d bytes, longer than %d (max_key_bytes)", what, len(key), l.MaxKeyBytes)
	}
	return nil
}

// isMessage reports whether a field is a log's message (see MaxMessageBytes).
func isMessage(kind lineprotocol.ValueKind, key []byte) bool {
	return kind == lineprotocol.String && string(key) == "message"
}

func (l *Limits) checkMessage(key []byte, n int) *Error {
	if n > l.MaxMessageBytes {
		return limitErrorf(string(key), "message is %d bytes, longer than %d (max_message_bytes)", n, l.MaxMessageBytes)
	}
	return nil
}

func (l *Limits) checkValue(key string, n int) *Error {
	if n > l.MaxValueBytes {
		return limitErrorf(key, "value is %d bytes, longer than %d (max_value_bytes)", n, l.MaxValueBytes)
	}
	return nil
}

// checkName enforces what the line-protocol encoder needs to write a name,
// key or tag value back unchanged: non-empty, valid UTF-8, no control
// characters, no trailing backslash (it would escape the separator).
// The decoder already guarantees most of it for line protocol; JSON needs
// all of it.
func checkName(what, key, s string) *Error {
	switch {
	case s == "":
		return syntaxErrorf(key, "empty %s", what)
	case !utf8.ValidString(s):
		return syntaxErrorf(key, "invalid UTF-8 in %s", what)
	case s[len(s)-1] == '\\':
		return syntaxErrorf(key, "%s ends with a backslash", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return syntaxErrorf(key, "control character %q in %s", c, what)
		}
	}
	return nil
}

func validate(p *Point, l Limits) *Error {
	if err := checkName("measurement name", "", p.Name); err != nil {
		return err
	}
	if p.Name[0] == '#' {
		return syntaxErrorf("", "measurement name starts with '#' (a comment in line protocol)")
	}
	if err := l.checkKey("measurement name", p.Name); err != nil {
		return err
	}
	if len(p.Tags) > l.MaxTags {
		return limitErrorf(p.Tags[l.MaxTags].Key, "more than %d tags (max_tags)", l.MaxTags)
	}
	if len(p.Fields) == 0 {
		return syntaxErrorf("", "no fields")
	}
	if len(p.Fields) > l.MaxFields {
		return limitErrorf(p.Fields[l.MaxFields].Key, "more than %d fields (max_fields)", l.MaxFields)
	}
	size := pointSize{lim: &l}
	if err := size.add(nil, len(p.Name)); err != nil {
		return err
	}
	for i, t := range p.Tags {
		if i > 0 && p.Tags[i-1].Key >= t.Key {
			return syntaxErrorf(t.Key, "tags not sorted or not unique")
		}
		if err := checkTag(&l, &size, t.Key, t.Value); err != nil {
			return err
		}
	}
	for i, f := range p.Fields {
		if i > 0 && p.Fields[i-1].Key >= f.Key {
			return syntaxErrorf(f.Key, "fields not sorted or not unique")
		}
		if f.Raw != "" {
			if err := checkName("field key", f.Key, f.Key); err != nil {
				return err
			}
			if err := l.checkValue(f.Key, len(f.Raw)); err != nil {
				return err
			}
			if err := size.add([]byte(f.Key), len(f.Key)+len(f.Raw)); err != nil {
				return err
			}
			continue
		}
		if err := checkField(&l, &size, f.Key, f.Value); err != nil {
			return err
		}
	}
	return nil
}

func checkTag(l *Limits, size *pointSize, key, value string) *Error {
	if err := checkName("tag key", key, key); err != nil {
		return err
	}
	if err := checkName("tag value", key, value); err != nil {
		return err
	}
	if err := l.checkKey("tag key", key); err != nil {
		return err
	}
	if err := l.checkValue(key, len(value)); err != nil {
		return err
	}
	return size.add([]byte(key), len(key)+len(value))
}

func checkField(l *Limits, size *pointSize, key string, v lineprotocol.Value) *Error {
	if err := checkName("field key", key, key); err != nil {
		return err
	}
	if err := l.checkKey("field key", key); err != nil {
		return err
	}
	n := valueSize(v)
	if v.Kind() == lineprotocol.String {
		if !utf8.Valid(v.BytesV()) {
			return syntaxErrorf(key, "invalid UTF-8 in string value")
		}
		if isMessage(v.Kind(), []byte(key)) {
			if err := l.checkMessage([]byte(key), n); err != nil {
				return err
			}
			n = 0
		} else if err := l.checkValue(key, n); err != nil {
			return err
		}
	}
	return size.add([]byte(key), len(key)+n)
}
