package child

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// childRecord is one log line of a child, parsed.
type childRecord struct {
	level slog.Level
	msg   string
	attrs []slog.Attr // in the child's order, time, level and msg left out
}

// relay logs one line of a child's output. A line that slog's text or JSON
// handler wrote (as datakit-ebpf's are) is re-emitted as the record it
// was, with its level, message and attributes, so that its fields stay
// fields instead of one escaped string nested in ours; anything else (a
// panic, a shell's echo) is logged as text. The child's time is dropped:
// ours is the same to the millisecond a relayed line takes.
func relay(log *slog.Logger, name, stream string, pid int, line string) {
	attrs := []slog.Attr{slog.String("stream", stream), slog.Int("pid", pid)}
	if r, ok := parseLine(line); ok {
		log.LogAttrs(context.Background(), r.level, name+": "+r.msg, append(attrs, r.attrs...)...)
		return
	}
	log.LogAttrs(context.Background(), lineLevel(line), name+": "+line, attrs...)
}

// parseLine parses a line of slog's TextHandler (`time=... level=WARN
// msg="..." k=v "a key"="a value"`) or JSONHandler (`{"time":...,
// "level":"WARN","msg":"...",...}`). ok is false unless the whole line
// parses and has a level and a message.
func parseLine(line string) (r childRecord, ok bool) {
	var attrs []slog.Attr
	if strings.HasPrefix(line, "{") {
		ok = parseJSON(line, &attrs)
	} else {
		ok = parseText(line, &attrs)
	}
	if !ok {
		return r, false
	}
	// The handler writes time, level and msg first; later keys of those
	// names are the child's own attributes.
	var haveTime, haveLevel, haveMsg bool
	for _, a := range attrs {
		switch {
		case a.Key == slog.TimeKey && !haveTime:
			haveTime = true
		case a.Key == slog.LevelKey && !haveLevel:
			if r.level.UnmarshalText([]byte(a.Value.String())) != nil {
				return r, false
			}
			haveLevel = true
		case a.Key == slog.MessageKey && !haveMsg:
			r.msg, haveMsg = a.Value.String(), true
		default:
			r.attrs = append(r.attrs, a)
		}
	}
	return r, haveLevel && haveMsg
}

// parseText reads key=value pairs separated by one space. A key or value
// is either bare (no space, '=' or '"') or a Go-quoted string, which is
// how slog's TextHandler writes anything else.
func parseText(line string, attrs *[]slog.Attr) bool {
	for s := line; s != ""; {
		key, rest, ok := textToken(s, '=')
		if !ok || key == "" || rest == "" || rest[0] != '=' {
			return false
		}
		value, rest, ok := textToken(rest[1:], ' ')
		if !ok {
			return false
		}
		*attrs = append(*attrs, slog.String(key, value))
		if rest != "" {
			if rest[0] != ' ' || len(rest) == 1 {
				return false
			}
			rest = rest[1:]
		}
		s = rest
	}
	return len(*attrs) > 0
}

// textToken reads a quoted string, or bare text up to stop or a space.
func textToken(s string, stop byte) (tok, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", false
		}
		tok, err = strconv.Unquote(q)
		return tok, s[len(q):], err == nil
	}
	end := strings.IndexAny(s, string(stop)+` "`)
	if end < 0 {
		end = len(s)
	}
	if end < len(s) && s[end] == '"' {
		return "", "", false // a quote inside a bare token: not slog's
	}
	return s[:end], s[end:], true
}

// parseJSON reads one JSON object, flattening nested objects (slog
// groups) into dotted keys as the TextHandler names them.
func parseJSON(line string, attrs *[]slog.Attr) bool {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if !jsonObject(dec, "", attrs) {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF && len(*attrs) > 0 // nothing after the object
}

func jsonObject(dec *json.Decoder, prefix string, attrs *[]slog.Attr) bool {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		t, err := dec.Token()
		key, isKey := t.(string)
		if err != nil || !isKey {
			return false
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return false
		}
		if bytes.HasPrefix(raw, []byte("{")) {
			sub := json.NewDecoder(bytes.NewReader(raw))
			sub.UseNumber()
			if !jsonObject(sub, prefix+key+".", attrs) {
				return false
			}
			continue
		}
		*attrs = append(*attrs, jsonAttr(prefix+key, raw))
	}
	t, err := dec.Token()
	return err == nil && t == json.Delim('}')
}

// jsonAttr keeps the value's JSON type: strings, whole numbers, other
// numbers, booleans; arrays and null as they decode.
func jsonAttr(key string, raw json.RawMessage) slog.Attr {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // raw is one valid JSON value
	switch v := v.(type) {
	case string:
		return slog.String(key, v)
	case bool:
		return slog.Bool(key, v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return slog.Int64(key, n)
		}
		f, _ := v.Float64()
		return slog.Float64(key, f)
	}
	return slog.Any(key, v)
}
