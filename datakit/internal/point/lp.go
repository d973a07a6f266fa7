package point

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// DecodeLP decodes a whole line-protocol body read from r. Either every
// point is returned or none: the first bad entry ends decoding with an
// *Error naming its line (and column when the decoder knows it). An error
// of r itself (a size limit, a broken connection) is returned unchanged,
// even if it truncated the input into something that still parses.
func DecodeLP(r io.Reader, opt Options) ([]*Point, error) {
	lr := lineReaderPool.Get().(*lineReader)
	defer func() { lr.release(); lineReaderPool.Put(lr) }()
	lr.reset(r)
	pts, err := decodeEntries(lineprotocol.NewDecoder(lr), nil, opt, lr.entryLine)
	if ioErr := lr.ioErr(); ioErr != nil {
		return nil, ioErr
	}
	return pts, err
}

// DecodeLPBytes is DecodeLP over a body in memory, and the fast path: the
// points' strings point into body wherever no unescaping was needed, so
// body must not be modified afterwards (and stays alive as long as any of
// its points).
func DecodeLPBytes(body []byte, opt Options) ([]*Point, error) {
	pts, err := decodeEntries(lineprotocol.NewDecoderWithBytes(body), body, opt, nil)
	if pe, ok := err.(*Error); ok && pe.Line == 0 {
		// The decoder keeps line numbers to itself; decoding again one line
		// at a time finds the same error and its line. Errors are rare.
		if _, again := DecodeLP(bytes.NewReader(body), opt); again != nil {
			err = again
		}
	}
	return pts, err
}

var lineReaderPool = sync.Pool{New: func() any { return new(lineReader) }}

// decodeEntries decodes every entry of dec; src is the decoder's input when
// it is in memory, line (if any) the line of the current entry.
func decodeEntries(dec *lineprotocol.Decoder, src []byte, opt Options, line func() int) ([]*Point, error) {
	e := lpEntry{
		dec:  dec,
		a:    arena{src: src},
		lim:  opt.Limits.WithDefaults(),
		prec: opt.Precision,
		now:  opt.now(),
	}
	var pts []*Point
	if src != nil {
		pts = make([]*Point, 0, bytes.Count(src, []byte{'\n'})+1)
	}
	for e.dec.Next() {
		p, err := e.decode()
		if err != nil {
			if err.Line == 0 && line != nil {
				err.Line = line()
			}
			return nil, err
		}
		pts = append(pts, p)
	}
	return pts, nil
}

// lpEntry decodes one entry at a time, enforcing the limits as it goes so
// that a point with 10,000 tags is refused at tag max_tags+1.
type lpEntry struct {
	dec  *lineprotocol.Decoder
	a    arena
	lim  Limits
	prec Precision
	now  time.Time
}

func (e *lpEntry) decode() (*Point, *Error) {
	name, err := e.dec.Measurement()
	if err != nil {
		return nil, decodeError(err)
	}
	size := pointSize{lim: &e.lim}
	if name[len(name)-1] == '\\' {
		return nil, syntaxErrorf("", "measurement name ends with a backslash")
	}
	if len(name) > e.lim.MaxKeyBytes {
		return nil, limitErrorf(string(name), "measurement name is %d bytes, longer than %d (max_key_bytes)", len(name), e.lim.MaxKeyBytes)
	}
	size.size = len(name)
	// Decoder slices are only valid until the next call: copy now.
	nameStr := e.a.str(name)

	tags := e.a.tags.begin()
	for {
		k, v, err := e.dec.NextTag()
		if err != nil {
			return nil, decodeError(err)
		}
		if k == nil {
			break
		}
		if e.a.tags.count(tags) == e.lim.MaxTags {
			return nil, limitErrorf(string(k), "more than %d tags (max_tags)", e.lim.MaxTags)
		}
		if err := e.checkLP("tag", k, v, len(v)); err != nil {
			return nil, err
		}
		if err := size.add(k, len(k)+len(v)); err != nil {
			return nil, err
		}
		e.a.tags.push(&tags, Tag{Key: e.a.str(k), Value: e.a.str(v)})
	}

	fields := e.a.fields.begin()
	for {
		k, v, err := e.dec.NextField()
		if err != nil {
			return nil, decodeError(err)
		}
		if k == nil {
			break
		}
		if e.a.fields.count(fields) == e.lim.MaxFields {
			return nil, limitErrorf(string(k), "more than %d fields (max_fields)", e.lim.MaxFields)
		}
		var raw []byte
		if v.Kind() == lineprotocol.String {
			raw = v.BytesV()
		}
		if err := e.checkLP("field", k, raw, valueSize(v)); err != nil {
			return nil, err
		}
		if err := size.add(k, len(k)+valueSize(v)); err != nil {
			return nil, err
		}
		if raw != nil && !e.a.inSrc(raw) {
			// The value points into the decoder's buffer; keep a copy.
			v, _ = lineprotocol.NewValueFromBytes(lineprotocol.String, e.a.copyBytes(raw))
		}
		e.a.fields.push(&fields, Field{Key: e.a.str(k), Value: v})
	}
	if e.a.fields.count(fields) == 0 {
		return nil, syntaxErrorf("", "no fields")
	}

	t, perr := e.time()
	if perr != nil {
		return nil, perr
	}
	p := e.a.point()
	p.Name = nameStr
	p.Tags = e.a.tags.end(tags, normalizeTags)
	p.Fields = e.a.fields.end(fields, normalizeFields)
	p.Time = t
	return p, nil
}

// checkLP applies the per-key limits; the decoder has already refused
// control characters and invalid UTF-8, which leaves the trailing
// backslash (the encoder cannot write it back) to check here.
func (e *lpEntry) checkLP(kind string, k, v []byte, vsize int) *Error {
	if k[len(k)-1] == '\\' {
		return syntaxErrorf(string(k), "%s key ends with a backslash", kind)
	}
	if kind == "tag" && v[len(v)-1] == '\\' {
		return syntaxErrorf(string(k), "tag value ends with a backslash")
	}
	if len(k) > e.lim.MaxKeyBytes {
		return limitErrorf(string(k), "%s key is %d bytes, longer than %d (max_key_bytes)", kind, len(k), e.lim.MaxKeyBytes)
	}
	if vsize > e.lim.MaxValueBytes && (kind == "tag" || v != nil) {
		return limitErrorf(string(k), "value is %d bytes, longer than %d (max_value_bytes)", vsize, e.lim.MaxValueBytes)
	}
	return nil
}

func (e *lpEntry) time() (time.Time, *Error) {
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
