package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIllegal         // a lexical error, already reported
	tNewline
	tSemi
	tIdent
	tInt
	tString
	tTrue
	tFalse
	tLParen
	tRParen
	tComma
	tNot
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tAnd
	tOr
)

var tokNames = [...]string{
	tEOF: "end of rules", tIllegal: "invalid token", tNewline: "newline", tSemi: "';'",
	tIdent: "identifier", tInt: "integer", tString: "string", tTrue: "true", tFalse: "false",
	tLParen: "'('", tRParen: "')'", tComma: "','", tNot: "'!'",
	tEq: "'=='", tNe: "'!='", tLt: "'<'", tLe: "'<='", tGt: "'>'", tGe: "'>='",
	tAnd: "'&&'", tOr: "'||'",
}

func (k tokKind) String() string { return tokNames[k] }

func (k tokKind) isBinary() bool { return k >= tEq && k <= tOr }

type token struct {
	kind tokKind
	pos  pos
	text string // the token's source text
	str  string // the value of a string literal
	num  int64  // the value of an integer literal
}

// describe names a token in "found ..." messages.
func (t token) describe() string {
	switch t.kind {
	case tIdent:
		return fmt.Sprintf("identifier %s", t.text)
	case tInt, tString:
		return fmt.Sprintf("%s %s", t.kind, t.text)
	}
	return t.kind.String()
}

type lexer struct {
	src  string
	p    pos // position of the next character
	errs *errorSink
	toks []token
}

// lex splits src into tokens, reporting lexical errors to errs and leaving a
// tIllegal token in their place so the parser can resynchronise.
func lex(src string, errs *errorSink) []token {
	l := &lexer{src: src, p: pos{line: 1, col: 1}, errs: errs}
	for {
		t := l.next()
		l.toks = append(l.toks, t)
		if t.kind == tEOF {
			return l.toks
		}
	}
}

func (l *lexer) peek(ahead int) byte {
	if l.p.off+ahead < len(l.src) {
		return l.src[l.p.off+ahead]
	}
	return 0
}

// advance moves past one character (a whole UTF-8 sequence, or one bad byte).
func (l *lexer) advance() {
	if l.src[l.p.off] == '\n' {
		l.p.line++
		l.p.col = 1
		l.p.off++
		return
	}
	_, size := utf8.DecodeRuneInString(l.src[l.p.off:])
	l.p.off += size
	l.p.col++
}

func (l *lexer) advanceTo(off int) {
	for l.p.off < off {
		l.advance()
	}
}

func (l *lexer) next() token {
	for l.p.off < len(l.src) {
		c := l.src[l.p.off]
		if c == ' ' || c == '\t' || c == '\r' {
			l.advance()
		} else if c == '#' {
			end := strings.IndexByte(l.src[l.p.off:], '\n')
			if end < 0 {
				end = len(l.src) - l.p.off
			}
			l.advanceTo(l.p.off + end)
		} else {
			break
		}
	}
	start := l.p
	tok := func(k tokKind, n int) token {
		l.advanceTo(start.off + n)
		return token{kind: k, pos: start, text: l.src[start.off:l.p.off]}
	}
	if l.p.off >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	c, c1 := l.peek(0), l.peek(1)
	switch {
	case c == '\n':
		return tok(tNewline, 1)
	case c == ';':
		return tok(tSemi, 1)
	case c == '(':
		return tok(tLParen, 1)
	case c == ')':
		return tok(tRParen, 1)
	case c == ',':
		return tok(tComma, 1)
	case c == '!' && c1 == '=':
		return tok(tNe, 2)
	case c == '!':
		return tok(tNot, 1)
	case c == '=' && c1 == '=':
		return tok(tEq, 2)
	case c == '<' && c1 == '=':
		return tok(tLe, 2)
	case c == '<':
		return tok(tLt, 1)
	case c == '>' && c1 == '=':
		return tok(tGe, 2)
	case c == '>':
		return tok(tGt, 1)
	case c == '&' && c1 == '&':
		return tok(tAnd, 2)
	case c == '|' && c1 == '|':
		return tok(tOr, 2)
	case c == '=' || c == '&' || c == '|':
		l.errs.add(start, fmt.Sprintf("unexpected %q; did you mean %q?", c, strings.Repeat(string(c), 2)))
		return tok(tIllegal, 1)
	case c == '"' || c == '\'':
		return l.string(c)
	case isDigit(c) || c == '-' && isDigit(c1):
		return l.integer()
	case isIdentStart(c):
		n := 1
		for start.off+n < len(l.src) && (isIdentStart(l.src[start.off+n]) || isDigit(l.src[start.off+n])) {
			n++
		}
		t := tok(tIdent, n)
		switch t.text {
		case "true":
			t.kind = tTrue
		case "false":
			t.kind = tFalse
		}
		return t
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.p.off:])
	l.errs.add(start, fmt.Sprintf("unexpected character %q", r))
	l.advance()
	return token{kind: tIllegal, pos: start, text: l.src[start.off:l.p.off]}
}

func (l *lexer) integer() token {
	start := l.p
	n := 1
	for start.off+n < len(l.src) && (isDigit(l.src[start.off+n]) || isIdentStart(l.src[start.off+n])) {
		n++
	}
	l.advanceTo(start.off + n)
	t := token{kind: tInt, pos: start, text: l.src[start.off:l.p.off]}
	v, err := strconv.ParseInt(t.text, 10, 64)
	switch {
	case err == nil:
		t.num = v
	case err.(*strconv.NumError).Err == strconv.ErrRange:
		l.errs.add(start, fmt.Sprintf("integer %s out of range (64-bit signed)", t.text))
		t.kind = tIllegal
	default:
		l.errs.add(start, fmt.Sprintf("invalid integer %q", t.text))
		t.kind = tIllegal
	}
	return t
}

// string reads a literal quoted with q. Escapes are Go's, and both \' and \"
// are accepted in either quote style.
func (l *lexer) string(q byte) token {
	start := l.p
	l.advance()
	var b strings.Builder
	bad := false
	for {
		if l.p.off >= len(l.src) || l.src[l.p.off] == '\n' {
			l.errs.add(start, "string not terminated")
			return token{kind: tIllegal, pos: start, text: l.src[start.off:l.p.off]}
		}
		c := l.src[l.p.off]
		switch {
		case c == q:
			l.advance()
			t := token{kind: tString, pos: start, text: l.src[start.off:l.p.off], str: b.String()}
			if bad {
				t.kind = tIllegal
			}
			return t
		case c == '\\' && (l.peek(1) == '"' || l.peek(1) == '\''):
			b.WriteByte(l.peek(1))
			l.advanceTo(l.p.off + 2)
		case c == '\\':
			v, multibyte, tail, err := strconv.UnquoteChar(l.src[l.p.off:], q)
			if err != nil {
				l.errs.add(l.p, "invalid escape sequence in string")
				bad = true
				l.advance()
				if l.p.off < len(l.src) && l.src[l.p.off] != '\n' {
					l.advance()
				}
				continue
			}
			if multibyte || v < utf8.RuneSelf {
				b.WriteRune(v)
			} else {
				b.WriteByte(byte(v)) // \xHH and octal escapes are bytes
			}
			l.advanceTo(len(l.src) - len(tail))
		default:
			from := l.p.off
			l.advance()
			b.WriteString(l.src[from:l.p.off])
		}
	}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
