package point

import (
	"errors"
	"strconv"
	"time"
	"unsafe"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// lpEntry validates one line-protocol entry at a time, enforcing the limits
// as it goes so that a point with 10,000 tags is refused at tag max_tags+1.
// It leaves the entry in its scratch fields, normalized (tags and fields
// sorted by key, last of equal keys wins), for DecodeLP to keep as a Point
// or TranscodeLP to write out again: both accept exactly the same input.
type lpEntry struct {
	dec  *lineprotocol.Decoder
	a    arena
	lim  Limits
	prec Precision
	now  time.Time
	chk  checker
	subs []string // desugar's replacements, for the empty strings in turn
	nsub int

	// The current entry, overwritten by the next one. The strings view
	// the input or arena copies, so they stay valid.
	name   string
	tags   []Tag
	fields []lpField
	time   time.Time
	// asWritten: the name, tags and fields are views of the input in the
	// order written, sorted and unique, and every value is plain: writing
	// them again gives the input's bytes, which TranscodeLP then copies.
	asWritten bool
}

// lpField is a field as read. A plain value (see plainValue) is kept as
// the bytes written, raw, until someone needs it parsed (field).
type lpField struct {
	Key   string
	kind  lineprotocol.ValueKind
	plain bool
	raw   []byte
	value lineprotocol.Value // when not plain
	ext   string             // an extension's value (Field.Raw); kind String
}

func (e *lpEntry) next() *Error {
	name, err := e.dec.Measurement()
	if err != nil {
		return decodeError(err)
	}
	size := pointSize{lim: &e.lim}
	if name[len(name)-1] == '\\' {
		return syntaxErrorf("", "measurement name ends with a backslash")
	}
	if len(name) > e.lim.MaxKeyBytes {
		return limitErrorf(string(name), "measurement name is %d bytes, longer than %d (max_key_bytes)", len(name), e.lim.MaxKeyBytes)
	}
	size.size = len(name)
	// Decoder slices are only valid until the next call: copy now.
	e.name, e.asWritten = e.a.view(name)

	e.tags = e.tags[:0]
	for {
		k, v, err := e.dec.NextTag()
		if err != nil {
			return decodeError(err)
		}
		if k == nil {
			break
		}
		if len(e.tags) == e.lim.MaxTags {
			return limitErrorf(string(k), "more than %d tags (max_tags)", e.lim.MaxTags)
		}
		if err := e.checkLP("tag", k, v, len(v)); err != nil {
			return err
		}
		if err := size.add(k, len(k)+len(v)); err != nil {
			return err
		}
		key, kIn := e.a.view(k)
		value, vIn := e.a.view(v)
		e.asWritten = e.asWritten && kIn && vIn
		e.tags = append(e.tags, Tag{Key: key, Value: value})
	}

	e.fields = e.fields[:0]
	for {
		// Read each field straight into its slot: an lpField is big.
		e.fields = append(e.fields, lpField{})
		f := &e.fields[len(e.fields)-1]
		k, err := e.nextField(f)
		if err != nil {
			return err
		}
		if k == nil {
			e.fields = e.fields[:len(e.fields)-1]
			break
		}
		if len(e.fields) > e.lim.MaxFields {
			return limitErrorf(string(k), "more than %d fields (max_fields)", e.lim.MaxFields)
		}
		var str []byte // a string value, which has size limits
		vsize := 8
		if f.kind == lineprotocol.String {
			str = f.raw
			if !f.plain {
				str = f.value.BytesV()
			}
			vsize = len(str)
		}
		if e.subs != nil && f.kind == lineprotocol.String && vsize == 0 {
			if err := e.substitute(f, k); err != nil {
				return err
			}
			if f.ext != "" {
				str, vsize = nil, len(f.ext)
			}
		}
		if f.ext == "" && isMessage(f.kind, k) {
			// A log's message has its own bound and is not counted in the
			// point's: DataKit takes messages of 32 MiB.
			if err := e.lim.checkMessage(k, vsize); err != nil {
				return err
			}
			vsize = 0
		} else if err := e.checkLP("field", k, str, vsize); err != nil {
			return err
		}
		if err := size.add(k, len(k)+vsize); err != nil {
			return err
		}
		if str != nil && !f.plain && !e.a.inSrc(str) {
			// The value points into the decoder's buffer; keep a copy.
			f.value, _ = lineprotocol.NewValueFromBytes(lineprotocol.String, e.a.copyBytes(str))
		}
		var kIn bool
		f.Key, kIn = e.a.view(k)
		e.asWritten = e.asWritten && f.plain && kIn
	}
	if len(e.fields) == 0 {
		return syntaxErrorf("", "no fields")
	}

	var perr *Error
	if e.time, perr = e.timestamp(); perr != nil {
		return perr
	}
	if e.chk.active() {
		var changed bool
		if e.tags, e.fields, changed, perr = apply(&e.chk, e.tags, e.fields, &lpFieldOps); perr != nil {
			return perr
		}
		e.asWritten = e.asWritten && !changed
	}
	if !sortedUnique(e.tags, tagKey) || !sortedUnique(e.fields, lpFieldKey) {
		e.asWritten = false
		if err := e.chk.unique(e.tags, e.fields); err != nil {
			return err
		}
		e.tags = normalize(e.tags, tagKey)
		e.fields = normalize(e.fields, lpFieldKey)
	}
	if e.chk.strict {
		return e.chk.conflicts(e.tags, func(i int) string { return e.fields[i].Key }, len(e.fields))
	}
	return nil
}

var lpFieldOps = fieldOps[lpField]{
	key:  func(f *lpField) *string { return &f.Key },
	text: func(f *lpField) bool { return f.kind == lineprotocol.String && (f.ext == "" || f.ext[0] == '"') },
	newStr: func(k, v string) lpField {
		val, _ := lineprotocol.StringValue(v)
		return lpField{Key: k, kind: lineprotocol.String, value: val}
	},
}

// nextField reads one field. From memory it reads the value's bytes and
// parses them itself, which is all NextField does, unless they are plain
// (see plainValue); a value that does not parse is then reported without
// its line and column, which decodeBytes finds by decoding again,
// streaming.
func (e *lpEntry) nextField(f *lpField) (key []byte, perr *Error) {
	if e.a.src == nil {
		k, v, err := e.dec.NextField()
		if err != nil {
			return nil, decodeError(err)
		}
		f.kind, f.value = v.Kind(), v
		return k, nil
	}
	k, kind, b, err := e.dec.NextFieldBytes()
	if err != nil {
		return nil, decodeError(err)
	}
	if k == nil {
		return nil, nil
	}
	f.kind = kind
	if plainValue(kind, b) && e.a.inSrc(b) {
		f.raw, f.plain = b, true
		return k, nil
	}
	if f.value, err = lineprotocol.NewValueFromBytes(kind, b); err != nil {
		return nil, syntaxErrorf(string(k), "cannot parse value: %v", err)
	}
	return k, nil
}

// field returns the field, parsing a plain value now.
func (f *lpField) field() Field {
	if f.plain {
		f.value, _ = lineprotocol.NewValueFromBytes(f.kind, f.raw) // valid: see plainValue
		f.plain = false
	}
	if f.ext != "" {
		return Field{Key: f.Key, Raw: f.ext}
	}
	return Field{Key: f.Key, Value: f.value}
}

// substitute gives an empty string field back what desugar replaced, if
// anything (see ext.go), and bounds it as a value.
func (e *lpEntry) substitute(f *lpField, k []byte) *Error {
	if e.nsub == len(e.subs) {
		return syntaxErrorf(string(k), "line protocol extensions could not be matched to their fields")
	}
	f.ext = e.subs[e.nsub]
	e.nsub++
	if f.ext == "" {
		return nil
	}
	f.plain, f.value = false, lineprotocol.Value{}
	if len(f.ext) > e.lim.MaxValueBytes {
		return limitErrorf(string(k), "value is %d bytes, longer than %d (max_value_bytes)", len(f.ext), e.lim.MaxValueBytes)
	}
	return nil
}

// checkLP applies the per-key limits; the decoder has already refused
// control characters and invalid UTF-8, which leaves the trailing
// backslash (the encoder cannot write it back) to check here. v is the
// tag's value, or a string field's; nil for other fields.
func (e *lpEntry) checkLP(kind string, k, v []byte, vsize int) *Error {
	if k[len(k)-1] == '\\' || kind == "tag" && v[len(v)-1] == '\\' || len(k) > e.lim.MaxKeyBytes ||
		vsize > e.lim.MaxValueBytes && (kind == "tag" || v != nil) {
		return e.badLP(kind, k, v, vsize)
	}
	return nil
}

// badLP is checkLP's error, out of line so that the check stays cheap.
func (e *lpEntry) badLP(kind string, k, v []byte, vsize int) *Error {
	if k[len(k)-1] == '\\' {
		return syntaxErrorf(string(k), "%s key ends with a backslash", kind)
	}
	if kind == "tag" && v[len(v)-1] == '\\' {
		return syntaxErrorf(string(k), "tag value ends with a backslash")
	}
	if len(k) > e.lim.MaxKeyBytes {
		return limitErrorf(string(k), "%s key is %d bytes, longer than %d (max_key_bytes)", kind, len(k), e.lim.MaxKeyBytes)
	}
	return limitErrorf(string(k), "value is %d bytes, longer than %d (max_value_bytes)", vsize, e.lim.MaxValueBytes)
}

func (e *lpEntry) timestamp() (time.Time, *Error) {
	b, err := e.dec.TimeBytes()
	if err != nil {
		return time.Time{}, decodeError(err)
	}
	if b == nil {
		return e.now, nil
	}
	ts, err := strconv.ParseInt(unsafe.String(&b[0], len(b)), 10, 64)
	if err != nil {
		return time.Time{}, syntaxErrorf("", "invalid timestamp %q", clip(string(b)))
	}
	t, err := e.prec.Time(ts)
	if err != nil {
		return time.Time{}, syntaxErrorf("", "%v", err)
	}
	return t, nil
}

func decodeError(err error) *Error {
	var de *lineprotocol.DecodeError
	if errors.As(err, &de) {
		return &Error{Kind: Syntax, Line: int(de.Line), Column: de.Column, Msg: clipMsg(de.Err.Error())}
	}
	return &Error{Kind: Syntax, Msg: clipMsg(err.Error())}
}
