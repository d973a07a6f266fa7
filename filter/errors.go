package filter

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one compile error. Line and Col are 1-based; Col counts
// characters (not bytes) from the start of the line.
type Error struct {
	Line, Col int
	Msg       string
	line      string // the source line, for the excerpt
}

// Error renders "line:col: msg", then the source line and a caret under the
// offending character.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Col))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	// Long lines (a whole rule set in one environment variable) are cut to
	// a window around the column.
	line, col := []rune(e.line), e.Col-1
	from, to, pre, post := 0, len(line), "", ""
	if len(line) > 2*excerptHalf {
		from, to = max(0, col-excerptHalf), min(len(line), col+excerptHalf)
		if from > 0 {
			pre = "..."
		}
		if to < len(line) {
			post = "..."
		}
	}
	b.WriteString("\n    ")
	b.WriteString(pre)
	b.WriteString(string(line[from:to]))
	b.WriteString(post)
	b.WriteString("\n    ")
	b.WriteString(strings.Repeat(" ", len(pre)))
	// Reproduce tabs so the caret lines up whatever the tab width.
	for i := from; i < col && i < to; i++ {
		if line[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// excerptHalf is how many characters of a long line are shown either side
// of the error.
const excerptHalf = 60

// ErrorList holds several compile errors in source order. Compile returns a
// lone *Error when there is one error and an ErrorList when there are more;
// errors.As(err, &e) with e of type *Error finds the first either way.
type ErrorList []*Error

func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// maxErrors bounds the report: past it, errors are mostly noise.
const maxErrors = 10

// pos is a position in the source. off is a byte offset; line and col are
// what Error reports.
type pos struct{ off, line, col int }

// errorSink collects errors against one source text.
type errorSink struct {
	src  string
	errs ErrorList
}

func (s *errorSink) add(p pos, msg string) {
	start := strings.LastIndexByte(s.src[:p.off], '\n') + 1
	end := strings.IndexByte(s.src[p.off:], '\n')
	if end < 0 {
		end = len(s.src)
	} else {
		end += p.off
	}
	line := strings.TrimSuffix(s.src[start:end], "\r")
	if !utf8.ValidString(line) {
		// One U+FFFD per bad byte, as the lexer counts columns.
		line = strings.Map(func(r rune) rune { return r }, line)
	}
	s.errs = append(s.errs, &Error{Line: p.line, Col: p.col, Msg: msg, line: line})
}

// err returns the errors in source order: nil, a lone *Error, or an
// ErrorList of at most maxErrors, the last of which then says so.
func (s *errorSink) err() error {
	slices.SortStableFunc(s.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	switch n := len(s.errs); {
	case n == 0:
		return nil
	case n == 1:
		return s.errs[0]
	case n > maxErrors:
		s.errs = s.errs[:maxErrors]
		more := "errors"
		if n-maxErrors == 1 {
			more = "error"
		}
		s.errs[maxErrors-1].Msg += fmt.Sprintf(" (and %d more %s)", n-maxErrors, more)
	}
	return s.errs
}
