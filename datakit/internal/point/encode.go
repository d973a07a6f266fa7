package point

import (
	"strconv"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// The writers below produce exactly what lineprotocol.Encoder writes, but
// escape in one pass over each string with a lookup table (the encoder
// counts each special character with its own strings.Count, and validates
// again what the decoder already validated). Encoding sits on the ingest hot
// path; FuzzAppendMatchesEncoder keeps the two byte-for-byte equal.

// escapes maps a byte to the letter that follows its backslash, or 0.
type escapes [256]byte

func newEscapes(chars string, letters string) *escapes {
	var e escapes
	for i := 0; i < len(chars); i++ {
		e[chars[i]] = letters[i]
	}
	return &e
}

var (
	measurementEsc = newEscapes(" ,", " ,")
	keyEsc         = newEscapes(",= ", ",= ") // tag keys, tag values, field keys
	stringEsc      = newEscapes("\\\"\n\r\t", "\\\"nrt")
)

func (e *escapes) append(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if r := e[s[i]]; r != 0 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', r)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// AppendMeasurement starts a line.
func AppendMeasurement(dst []byte, name string) []byte { return measurementEsc.append(dst, name) }

// AppendTag appends ",key=value".
func AppendTag(dst []byte, key, value string) []byte {
	dst = keyEsc.append(append(dst, ','), key)
	return keyEsc.append(append(dst, '='), value)
}

// AppendField appends " key=value" for the first field of a line and
// ",key=value" for the others.
func AppendField(dst []byte, first bool, key string, v lineprotocol.Value) []byte {
	dst = appendFieldKey(dst, first, key)
	if v.Kind() == lineprotocol.String {
		dst = stringEsc.append(append(dst, '"'), v.StringV())
		return append(dst, '"')
	}
	return v.AppendBytes(dst)
}

// appendFieldKey appends " key=" or ",key=".
func appendFieldKey(dst []byte, first bool, key string) []byte {
	sep := byte(',')
	if first {
		sep = ' '
	}
	return append(keyEsc.append(append(dst, sep), key), '=')
}

// AppendTags appends a point's own tags merged with extra, in key order;
// where both have a key, the point's own tag wins. Both must be sorted by
// key without duplicates (as decoded points are).
func AppendTags(dst []byte, own, extra []Tag) []byte {
	for len(own) > 0 || len(extra) > 0 {
		switch {
		case len(extra) == 0 || len(own) > 0 && own[0].Key < extra[0].Key:
			dst = AppendTag(dst, own[0].Key, own[0].Value)
			own = own[1:]
		case len(own) == 0 || extra[0].Key < own[0].Key:
			dst = AppendTag(dst, extra[0].Key, extra[0].Value)
			extra = extra[1:]
		default: // same key: the point's own tag wins
			dst = AppendTag(dst, own[0].Key, own[0].Value)
			own, extra = own[1:], extra[1:]
		}
	}
	return dst
}

// AppendTime ends a line with a nanosecond timestamp, or without one when t
// is zero.
func AppendTime(dst []byte, t time.Time) []byte {
	if !t.IsZero() {
		dst = strconv.AppendInt(append(dst, ' '), t.UnixNano(), 10)
	}
	return append(dst, '\n')
}

// AppendLP appends pts to dst as line protocol with nanosecond timestamps (a
// zero Time is written without one). The points must be valid (as decoded,
// or built with the same rules): names and keys non-empty, at least one field.
func AppendLP(dst []byte, pts ...*Point) []byte {
	for _, p := range pts {
		dst = AppendMeasurement(dst, p.Name)
		for _, t := range p.Tags {
			dst = AppendTag(dst, t.Key, t.Value)
		}
		dst = AppendFields(dst, p.Fields)
		dst = AppendTime(dst, p.Time)
	}
	return dst
}

// AppendFields appends " k=v,k2=v2": every field, an extension's value
// (Field.Raw) as it is.
func AppendFields(dst []byte, fields []Field) []byte {
	for i := range fields {
		if f := &fields[i]; f.Raw != "" {
			dst = append(appendFieldKey(dst, i == 0, f.Key), f.Raw...)
		} else {
			dst = AppendField(dst, i == 0, f.Key, f.Value)
		}
	}
	return dst
}

// String is the point as one line of line protocol, for logs and tests.
func (p *Point) String() string {
	b := AppendLP(nil, p)
	return string(b[:len(b)-1])
}
