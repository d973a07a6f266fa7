package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Error is one configuration problem, located as precisely as we can.
type Error struct {
	File string // the file, or "environment" for a variable
	Line int    // 0 when unknown
	Key  string // dotted TOML key or environment variable name
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// BurntSushi/toml reports type mismatches as plain errors of the form
// `toml: line 5 (last key "b.x"): incompatible types: ...`; we lift the line
// and key out so every error reads the same way.
var decodeErrRe = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// fromTOML converts a toml parse or decode error into an *Error for file.
func fromTOML(file string, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.Usage != "" {
			msg += " (" + strings.TrimSpace(pe.Usage) + ")"
		}
		return &Error{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: msg}
	}
	if m := decodeErrRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Key: m[2], Msg: m[3]}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// keyLine finds the line where the dotted key (as reported by
// MetaData.Undecoded) is set in src, because the toml library does not expose
// key positions. It tracks table headers, so `[http_api]` + `listen = ...`
// matches "http_api.listen". It returns 0 when the key cannot be found.
func keyLine(src, key string) int {
	parts := strings.Split(key, ".")
	table := ""
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "[") {
			h := strings.Trim(strings.SplitN(line, "#", 2)[0], " []")
			table = strings.ReplaceAll(h, " ", "")
			if table == key {
				return i + 1
			}
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			continue
		}
		k := strings.Trim(strings.TrimSpace(line[:eq]), `"'`)
		full := k
		if table != "" {
			full = table + "." + k
		}
		if full == key || (table == "" && len(parts) > 1 && k == key) {
			return i + 1
		}
	}
	return 0
}
