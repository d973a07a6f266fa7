package point

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// DataKit's line protocol has two field values InfluxDB's has not:
//
//	binary: f="aGVsbG8="b   (standard base64 between the quotes)
//	array:  f=[1i,2i,3i]    (int, uint, float, bool, string or binary
//	                         elements, all of one kind, not nested)
//
// The lineprotocol decoder refuses both. A body that fails to decode and
// may hold them is rewritten with each one replaced by an empty string,
// decoded, and every empty string field then gets back what stood there
// (see lpEntry.subs): the decoder keeps validating everything else, and
// bodies without them pay nothing. A field holding one keeps its canonical
// text in Field.Raw.

// mayHaveExt is a cheap pre-check: an array starts "=[", a binary ends `"b`.
func mayHaveExt(body []byte) bool {
	return bytes.Contains(body, []byte("=[")) || bytes.Contains(body, []byte(`"b`))
}

// desugar rewrites body as described above. subs has one entry per empty
// string field value in out, in order: an extension's canonical text, or
// "" for a string that was empty in body.
func desugar(body []byte) (out []byte, subs []string, perr *Error) {
	out = make([]byte, 0, len(body))
	line := 1
	for i := 0; i < len(body); {
		j := i
		for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
			j++
		}
		if j == len(body) || body[j] == '\n' || body[j] == '\r' || body[j] == '#' {
			end := lineEnd(body, j)
			out, i, line = append(out, body[i:end]...), end, line+1
			continue
		}
		// The measurement and tags: quotes mean nothing there.
		k := skipEscaped(body, j, " \n")
		out = append(out, body[i:k]...)
		i = k
		if i >= len(body) || body[i] == '\n' {
			continue // no fields: the decoder says so
		}
		for i < len(body) && body[i] == ' ' {
			out, i = append(out, ' '), i+1
		}
		var err *Error
		if out, subs, i, err = desugarFields(body, i, out, subs); err != nil {
			err.Line = line
			return nil, nil, err
		}
		end := lineEnd(body, i) // the timestamp, or what the decoder refuses
		line += bytes.Count(body[k:end], []byte{'\n'})
		out, i = append(out, body[i:end]...), end
	}
	return out, subs, nil
}

// desugarFields copies the field section starting at body[i], rewriting
// extensions; it stops after the last field's value.
func desugarFields(body []byte, i int, out []byte, subs []string) ([]byte, []string, int, *Error) {
	for {
		k := skipEscaped(body, i, "= \n")
		key := string(body[i:k])
		out = append(out, body[i:k]...)
		if k >= len(body) || body[k] != '=' || k+1 >= len(body) {
			return out, subs, k, nil // the decoder reports it
		}
		out, i = append(out, '='), k+1
		switch body[i] {
		case '"':
			end := closingQuote(body, i+1)
			if end < 0 {
				return out, subs, i, nil
			}
			if end+1 < len(body) && body[end+1] == 'b' {
				raw, err := binaryValue(body[i+1 : end])
				if err != nil {
					return nil, nil, 0, syntaxErrorf(key, "binary value: %v", err)
				}
				out, subs, i = append(out, `""`...), append(subs, raw), end+2
				break
			}
			if end == i+1 {
				subs = append(subs, "")
			}
			out, i = append(out, body[i:end+1]...), end+1
		case '[':
			end := closingBracket(body, i+1)
			if end < 0 {
				return nil, nil, 0, syntaxErrorf(key, "array value without its closing ']'")
			}
			raw, err := arrayValue(body[i+1 : end])
			if err != nil {
				return nil, nil, 0, syntaxErrorf(key, "array value: %v", err)
			}
			out, subs, i = append(out, `""`...), append(subs, raw), end+1
		default:
			k := i
			for k < len(body) && body[k] != ',' && body[k] != ' ' && body[k] != '\n' {
				k++
			}
			out, i = append(out, body[i:k]...), k
		}
		if i >= len(body) || body[i] != ',' {
			return out, subs, i, nil
		}
		out, i = append(out, ','), i+1
	}
}

// skipEscaped returns the index of the first byte of stop at or after i
// that no backslash escapes, or len(b).
func skipEscaped(b []byte, i int, stop string) int {
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\\':
			i++
		case bytes.IndexByte([]byte(stop), c) >= 0:
			return i
		}
	}
	return len(b)
}

// closingQuote is the index of the '"' ending a string whose content
// starts at b[i], or -1.
func closingQuote(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// closingBracket is the index of the ']' ending an array whose content
// starts at b[i], or -1; strings inside may hold ']'.
func closingBracket(b []byte, i int) int {
	for ; i < len(b) && b[i] != '\n'; i++ {
		switch b[i] {
		case '"':
			if i = closingQuote(b, i+1); i < 0 {
				return -1
			}
		case ']':
			return i
		}
	}
	return -1
}

// lineEnd is the index after the newline that ends the line holding b[i]
// outside any string, or len(b).
func lineEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			if q := closingQuote(b, i+1); q >= 0 {
				i = q
			}
		case '\n':
			return i + 1
		}
	}
	return len(b)
}

// binaryValue validates standard base64 and returns the canonical
// `"…"b` text.
func binaryValue(b64 []byte) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		return "", err
	}
	if len(raw) == 0 {
		return "", fmt.Errorf("empty")
	}
	return `"` + base64.StdEncoding.EncodeToString(raw) + `"b`, nil
}

// arrayValue parses the elements between '[' and ']' and returns the
// canonical array text.
func arrayValue(b []byte) (string, error) {
	if len(b) == 0 {
		return "", fmt.Errorf("empty array")
	}
	out := []byte{'['}
	first := ""
	for n := 0; len(b) > 0; n++ {
		var elem []byte
		if b[0] == '"' {
			q := closingQuote(b, 1)
			if q < 0 {
				return "", fmt.Errorf("element %d: unterminated string", n)
			}
			end := q + 1
			if end < len(b) && b[end] == 'b' {
				end++
			}
			elem = b[:end]
			if end < len(b) && b[end] != ',' {
				return "", fmt.Errorf("element %d: unexpected %q after it", n, b[end])
			}
		} else if c := bytes.IndexByte(b, ','); c >= 0 {
			elem = b[:c]
		} else {
			elem = b
		}
		kind, text, err := arrayElem(elem)
		if err != nil {
			return "", fmt.Errorf("element %d: %v", n, err)
		}
		if n == 0 {
			first = kind
		} else if kind != first {
			return "", fmt.Errorf("element %d is %s, element 0 %s: elements must be of one kind", n, kind, first)
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, text...)
		b = b[len(elem):]
		if len(b) > 0 {
			if b = b[1:]; len(b) == 0 {
				return "", fmt.Errorf("element %d: missing after ','", n+1)
			}
		}
	}
	return string(append(out, ']')), nil
}

// arrayElem parses one element: its kind and canonical text.
func arrayElem(e []byte) (kind, text string, err error) {
	if len(e) == 0 {
		return "", "", fmt.Errorf("empty")
	}
	switch {
	case e[0] == '"' && e[len(e)-1] == 'b':
		t, err := binaryValue(e[1 : len(e)-2])
		return "binary", t, err
	case e[0] == '"':
		if !utf8.Valid(e) {
			return "", "", fmt.Errorf("invalid UTF-8")
		}
		return "string", string(e), nil
	case e[len(e)-1] == 'i':
		n, err := strconv.ParseInt(string(e[:len(e)-1]), 10, 64)
		if err != nil {
			return "", "", fmt.Errorf("bad integer %q", clip(string(e)))
		}
		return "integer", strconv.FormatInt(n, 10) + "i", nil
	case e[len(e)-1] == 'u':
		n, err := strconv.ParseUint(string(e[:len(e)-1]), 10, 64)
		if err != nil {
			return "", "", fmt.Errorf("bad unsigned integer %q", clip(string(e)))
		}
		return "unsigned", strconv.FormatUint(n, 10) + "u", nil
	}
	if b, err := lineprotocol.NewValueFromBytes(lineprotocol.Bool, e); err == nil {
		return "bool", strconv.FormatBool(b.BoolV()), nil
	}
	v, err := lineprotocol.NewValueFromBytes(lineprotocol.Float, e)
	if err != nil {
		return "", "", fmt.Errorf("not a number, bool or string: %q", clip(string(e)))
	}
	return "float", string(v.AppendBytes(nil)), nil
}
