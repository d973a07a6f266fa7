package point

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// jsonPoint is one element of a JSON write body:
//
//	[{"measurement":"m","tags":{"k":"v"},"fields":{"f":1.5,"n":3,"s":"x","b":true},"time":1700000000}]
//
// A number with a fraction or exponent is a float, any other number an
// integer (unsigned when it only fits in uint64). time is an epoch number in
// the request's precision or an RFC 3339 string; absent or null means now.
type jsonPoint struct {
	Measurement string         `json:"measurement"`
	Tags        map[string]any `json:"tags"`
	Fields      map[string]any `json:"fields"`
	Time        any            `json:"time"`
}

// DecodeJSONBytes decodes a JSON array of points; all or nothing, like
// DecodeLPBytes. Errors are *Error naming the array index and key.
func DecodeJSONBytes(body []byte, opt Options) ([]*Point, error) {
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(body) {
		off := invalidUTF8Offset(body)
		return nil, jsonError(-1, "", "invalid UTF-8 at %s", position(body, off))
	}
	lim := opt.Limits.WithDefaults()
	now := opt.now()
	chk := newChecker(&opt)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, jsonError(-1, "", "want a JSON array of points")
	}
	var pts []*Point
	for i := 0; dec.More(); i++ {
		var jp jsonPoint
		if err := dec.Decode(&jp); err != nil {
			return nil, jsonDecodeError(i, body, err)
		}
		p, perr := jp.point(opt.Precision, now, &chk)
		if perr == nil {
			perr = validate(p, lim)
		}
		if perr != nil {
			perr.JSON, perr.Index = true, i
			return nil, perr
		}
		pts = append(pts, p)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonDecodeError(len(pts), body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, jsonError(-1, "", "unexpected data after the array at %s", position(body, int(dec.InputOffset())))
	}
	return pts, nil
}

func (jp *jsonPoint) point(prec Precision, now time.Time, chk *checker) (*Point, *Error) {
	p := &Point{Name: jp.Measurement, Time: now}
	if p.Name == "" {
		if err := chk.warn("invalid_measurement", "measurement", "empty measurement, use %s", DefaultMeasurement); err != nil {
			return nil, err
		}
		p.Name = DefaultMeasurement
	}
	p.Tags = make([]Tag, 0, len(jp.Tags))
	for _, k := range sortedKeys(jp.Tags) {
		v := jp.Tags[k]
		s, ok := v.(string)
		if !ok {
			return nil, syntaxErrorf("tags."+k, "tag value must be a string, not %s", jsonType(v))
		}
		if k == "" {
			if err := chk.warn("tag_disabled", "tags.", "empty tag key disabled"); err != nil {
				return nil, err
			}
			continue
		}
		p.Tags = append(p.Tags, Tag{Key: k, Value: s})
	}
	p.Fields = make([]Field, 0, len(jp.Fields))
	for _, k := range sortedKeys(jp.Fields) {
		f, drop, err := jsonField(k, jp.Fields[k])
		if err != nil {
			return nil, syntaxErrorf("fields."+k, "%v", err)
		}
		if drop != "" {
			// DataKit keeps no value for these and warns.
			if err := chk.warn(drop, "fields."+k, "nil field(%s): %s", k, jsonType(jp.Fields[k])); err != nil {
				return nil, err
			}
			continue
		}
		if k == "" {
			if err := chk.warn("tag_disabled", "fields.", "empty field key disabled"); err != nil {
				return nil, err
			}
			continue
		}
		p.Fields = append(p.Fields, f)
	}
	if len(p.Fields) == 0 && len(jp.Fields) > 0 {
		return nil, syntaxErrorf("", "no fields left once null and unsupported values are dropped")
	}
	var perr *Error
	if p.Tags, p.Fields, _, perr = apply(chk, p.Tags, p.Fields, &pointFieldOps); perr != nil {
		return nil, perr
	}
	// Map keys are unique already; sorting makes the point canonical.
	p.Tags = normalizeTags(p.Tags)
	p.Fields = normalizeFields(p.Fields)
	if perr := chk.conflicts(p.Tags, func(i int) string { return p.Fields[i].Key }, len(p.Fields)); perr != nil {
		return nil, perr
	}
	switch t := jp.Time.(type) {
	case nil:
	case json.Number:
		ts, err := strconv.ParseInt(t.String(), 10, 64)
		if err != nil {
			return nil, syntaxErrorf("time", "time must be an integer epoch, got %s", clip(t.String()))
		}
		if p.Time, err = prec.Time(ts); err != nil {
			return nil, syntaxErrorf("time", "%v", err)
		}
	case string:
		var err error
		if p.Time, err = time.Parse(time.RFC3339Nano, t); err != nil {
			return nil, syntaxErrorf("time", "time is neither an epoch nor RFC 3339: %q", clip(t))
		}
		if p.Time.Before(minTime) || p.Time.After(maxTime) {
			return nil, syntaxErrorf("time", "time %q is out of range", clip(t))
		}
	default:
		return nil, syntaxErrorf("time", "time must be a number or a string, not %s", jsonType(t))
	}
	return p, nil
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

var pointFieldOps = fieldOps[Field]{
	key:  func(f *Field) *string { return &f.Key },
	text: func(f *Field) bool { return f.Binary() || f.Raw == "" && f.Value.Kind() == lineprotocol.String },
	newStr: func(k, v string) Field {
		val, _ := lineprotocol.StringValue(v)
		return Field{Key: k, Value: val}
	},
}

// sortedKeys: map order is random, and the first problem found must be
// the same on every try.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonField converts one JSON field. drop names DataKit's warning for a
// value it keeps nothing of (null, an object); err is a value we refuse.
func jsonField(k string, v any) (f Field, drop string, err error) {
	switch a := v.(type) {
	case nil, map[string]any:
		return Field{}, "nil_field", nil
	case []any:
		raw, ok := jsonArray(a)
		if !ok { // DataKit keeps no value of a mixed or nested array
			return Field{}, "nil_field", nil
		}
		return Field{Key: k, Raw: raw}, "", nil
	}
	val, err := jsonValue(v)
	return Field{Key: k, Value: val}, "", err
}

// jsonArray is a JSON array as an array field (see ext.go): its elements
// all strings, all bools or all numbers (integers when every one is, as
// for single values); false for anything else, and for an empty array.
func jsonArray(a []any) (string, bool) {
	if len(a) == 0 {
		return "", false
	}
	vals := make([]lineprotocol.Value, len(a))
	kinds := map[lineprotocol.ValueKind]bool{}
	for i, e := range a {
		switch e.(type) {
		case string, bool, json.Number:
		default:
			return "", false
		}
		v, err := jsonValue(e)
		if err != nil {
			return "", false
		}
		vals[i] = v
		kinds[v.Kind()] = true
	}
	if len(kinds) > 1 { // numbers of several kinds are all floats
		for i, e := range a {
			n, ok := e.(json.Number)
			if !ok {
				return "", false
			}
			f, err := n.Float64()
			if vals[i], ok = lineprotocol.FloatValue(f); err != nil || !ok {
				return "", false
			}
		}
	}
	out := []byte{'['}
	for i, v := range vals {
		if i > 0 {
			out = append(out, ',')
		}
		if v.Kind() == lineprotocol.String {
			out = append(stringEsc.append(append(out, '"'), v.StringV()), '"')
			continue
		}
		out = v.AppendBytes(out)
	}
	return string(append(out, ']')), true
}

func jsonValue(v any) (lineprotocol.Value, error) {
	switch v := v.(type) {
	case string:
		if val, ok := lineprotocol.StringValue(v); ok {
			return val, nil
		}
	case bool:
		return lineprotocol.BoolValue(v), nil
	case json.Number:
		s := v.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return lineprotocol.IntValue(i), nil
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return lineprotocol.UintValue(u), nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return lineprotocol.Value{}, fmt.Errorf("number %s out of range", clip(s))
		}
		if val, ok := lineprotocol.FloatValue(f); ok {
			return val, nil
		}
	}
	return lineprotocol.Value{}, fmt.Errorf("field value must be a number, string or bool, not %s", jsonType(v))
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

func jsonDecodeError(i int, body []byte, err error) *Error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// A Decoder's offset counts the bytes before the bad one.
		return jsonError(i, "", "invalid JSON at %s: %v", position(body, int(se.Offset)+1), se)
	case errors.As(err, &te):
		key := te.Field
		if key == "" {
			return jsonError(i, "", "want an object, got JSON %s", te.Value)
		}
		return jsonError(i, key, "want %s, got JSON %s", te.Type, te.Value)
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return jsonError(i, "", "unexpected end of JSON")
	}
	return jsonError(i, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonError(i int, key, format string, a ...any) *Error {
	return &Error{Kind: Syntax, JSON: true, Index: i, Key: key, Msg: clipMsg(fmt.Sprintf(format, a...))}
}

// position names the byte at body[off] as "line L, column C" (1-based).
func position(body []byte, off int) string {
	off = min(max(off, 0), len(body))
	line := 1 + bytes.Count(body[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(body[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
