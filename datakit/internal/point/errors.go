package point

import (
	"fmt"
	"strconv"
	"strings"
)

// ErrorKind tells the API which error code an *Error maps to.
type ErrorKind uint8

const (
	// Syntax: the input is not a valid point (bad line protocol or JSON,
	// invalid UTF-8, a name that cannot be encoded back).
	Syntax ErrorKind = iota + 1
	// Limit: the point is well formed but breaks one of Limits.
	Limit
	// Warning: under Options.Strict, the point needed one of DataKit's
	// fixes (Msg starts with DataKit's warning name).
	Warning
)

// Error is a rejected point. It names where the problem is: the line and,
// when the line-protocol decoder knows it, the column; or for JSON the array
// index; plus the offending key when there is one.
type Error struct {
	Kind   ErrorKind
	JSON   bool   // the input was JSON: Index is meaningful, Line/Column are not
	Line   int    // 1-based line of the entry (line protocol)
	Column int    // 1-based byte column, 0 when unknown
	Index  int    // 0-based array index (JSON)
	Key    string // offending tag/field key (or "measurement"), may be empty
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.JSON && e.Index < 0:
		b.WriteString("body")
	case e.JSON:
		b.WriteString("point ")
		b.WriteString(strconv.Itoa(e.Index))
	default:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(", column ")
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if e.Key != "" {
		b.WriteString(", key ")
		b.WriteString(strconv.Quote(clip(e.Key)))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// clip keeps error messages small: they echo client input, which may be huge.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// clipMsg bounds a whole message (the decoder quotes whole tokens).
func clipMsg(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func limitErrorf(key, format string, a ...any) *Error {
	return &Error{Kind: Limit, Key: key, Msg: fmt.Sprintf(format, a...)}
}

func syntaxErrorf(key, format string, a ...any) *Error {
	return &Error{Kind: Syntax, Key: key, Msg: fmt.Sprintf(format, a...)}
}
