package filter

import "fmt"

// The syntax tree. Every node knows where it starts, for error messages.
type node interface{ start() pos }

type (
	identExpr struct {
		p    pos
		name string
	}
	litExpr struct {
		p    pos
		kind Kind
		b    bool
		i    int64
		s    string
	}
	notExpr struct {
		p pos
		x node
	}
	binaryExpr struct {
		op    tokKind
		opPos pos
		x, y  node
	}
	callExpr struct {
		p    pos
		name string
		args []node
	}
	parenExpr struct {
		p pos
		x node
	}
)

func (n *identExpr) start() pos  { return n.p }
func (n *litExpr) start() pos    { return n.p }
func (n *notExpr) start() pos    { return n.p }
func (n *binaryExpr) start() pos { return n.x.start() }
func (n *callExpr) start() pos   { return n.p }
func (n *parenExpr) start() pos  { return n.p }

// parsedRule is one rule with the span of source it came from.
type parsedRule struct {
	expr     node
	from, to pos // to is just past the last token
}

// parser is a recursive-descent parser over the whole token list. Newlines
// separate rules, except inside parentheses and right after an operator,
// '!', '(' or ',', where they are spaces.
type parser struct {
	toks    []token
	i       int
	depth   int // open parentheses
	nesting int // active unary() calls
	last    token
	errs    *errorSink
}

// bailout unwinds a rule after a syntax error has been reported.
type bailout struct{}

func parse(toks []token, errs *errorSink) []parsedRule {
	p := &parser{toks: toks, errs: errs}
	var rules []parsedRule
	for {
		for k := p.tok().kind; k == tNewline || k == tSemi; k = p.tok().kind {
			p.next()
		}
		if p.tok().kind == tEOF {
			return rules
		}
		if r, ok := p.rule(); ok {
			rules = append(rules, r)
		}
	}
}

func (p *parser) rule() (r parsedRule, ok bool) {
	defer func() {
		if e := recover(); e != nil {
			if _, is := e.(bailout); !is {
				panic(e)
			}
			// Resynchronise at the next rule separator.
			p.depth, p.nesting = 0, 0
			for k := p.tok().kind; k != tNewline && k != tSemi && k != tEOF; k = p.tok().kind {
				p.next()
			}
		}
	}()
	r.from = p.tok().pos
	if p.tok().kind.isBinary() && p.i > 0 && p.toks[p.i-1].kind == tNewline {
		p.fail(p.tok().pos, fmt.Sprintf("unexpected %s at the start of a line; a line break ends a rule unless it follows an operator, so break the line after %s instead", p.tok().kind, p.tok().kind))
	}
	r.expr = p.or()
	switch t := p.tok(); t.kind {
	case tNewline, tSemi, tEOF:
	case tRParen:
		p.fail(t.pos, "unexpected ')' without a matching '('")
	default:
		p.failAt(t, fmt.Sprintf("unexpected %s after the end of an expression; missing operator, or ';' between rules?", t.describe()))
	}
	r.to = p.last.pos
	r.to.off += len(p.last.text)
	return r, true
}

// tok returns the current token, skipping newlines inside parentheses.
func (p *parser) tok() token {
	for p.depth > 0 && p.toks[p.i].kind == tNewline {
		p.i++
	}
	return p.toks[p.i]
}

func (p *parser) next() token {
	t := p.tok()
	if t.kind != tEOF {
		p.i++
	}
	p.last = t
	return t
}

// nextContinued consumes an operator and any line breaks after it.
func (p *parser) nextContinued() token {
	t := p.next()
	for p.toks[p.i].kind == tNewline {
		p.i++
	}
	return t
}

func (p *parser) fail(at pos, msg string) {
	p.errs.add(at, msg)
	panic(bailout{})
}

// failAt reports an unexpected token, unless the lexer already did.
func (p *parser) failAt(t token, msg string) {
	if t.kind == tIllegal {
		panic(bailout{})
	}
	p.fail(t.pos, msg)
}

func (p *parser) or() node {
	x := p.and()
	for p.tok().kind == tOr {
		op := p.nextContinued()
		x = &binaryExpr{op: op.kind, opPos: op.pos, x: x, y: p.and()}
	}
	return x
}

func (p *parser) and() node {
	x := p.comparison()
	for p.tok().kind == tAnd {
		op := p.nextContinued()
		x = &binaryExpr{op: op.kind, opPos: op.pos, x: x, y: p.comparison()}
	}
	return x
}

func (p *parser) comparison() node {
	x := p.unary()
	for k := p.tok().kind; k >= tEq && k <= tGe; k = p.tok().kind {
		op := p.nextContinued()
		x = &binaryExpr{op: op.kind, opPos: op.pos, x: x, y: p.unary()}
	}
	return x
}

// maxNesting bounds the recursion of the parser and compiler on inputs
// like "((((...": far beyond any real rule, far below any stack limit.
const maxNesting = 1000

func (p *parser) unary() node {
	p.nesting++
	defer func() { p.nesting-- }()
	if p.nesting > maxNesting {
		p.fail(p.tok().pos, fmt.Sprintf("expression nested more than %d deep", maxNesting))
	}
	if t := p.tok(); t.kind == tNot {
		p.nextContinued()
		return &notExpr{p: t.pos, x: p.unary()}
	}
	return p.primary()
}

func (p *parser) primary() node {
	t := p.tok()
	switch t.kind {
	case tInt:
		p.next()
		return &litExpr{p: t.pos, kind: Int, i: t.num}
	case tString:
		p.next()
		return &litExpr{p: t.pos, kind: String, s: t.str}
	case tTrue, tFalse:
		p.next()
		return &litExpr{p: t.pos, kind: Bool, b: t.kind == tTrue}
	case tIdent:
		p.next()
		if p.tok().kind != tLParen {
			return &identExpr{p: t.pos, name: t.text}
		}
		call := &callExpr{p: t.pos, name: t.text}
		open := p.open()
		for p.tok().kind != tRParen {
			if len(call.args) > 0 {
				if p.tok().kind != tComma {
					p.failAt(p.tok(), fmt.Sprintf("expected ',' or ')' in the arguments of %s (opened at %d:%d), found %s", t.text, open.line, open.col, p.tok().describe()))
				}
				p.next()
			}
			call.args = append(call.args, p.or())
		}
		p.close()
		return call
	case tLParen:
		open := p.open()
		x := p.or()
		if p.tok().kind != tRParen {
			p.failAt(p.tok(), fmt.Sprintf("expected ')' to close the '(' at %d:%d, found %s", open.line, open.col, p.tok().describe()))
		}
		p.close()
		return &parenExpr{p: t.pos, x: x}
	case tRParen:
		p.fail(t.pos, "unexpected ')'; expected an operand")
	}
	what := "expected an operand"
	if p.last.kind.isBinary() || p.last.kind == tNot {
		what = "expected an operand after " + p.last.kind.String()
	}
	p.failAt(t, fmt.Sprintf("%s, found %s", what, t.describe()))
	return nil
}

func (p *parser) open() pos {
	t := p.next()
	p.depth++
	return t.pos
}

func (p *parser) close() {
	p.next()
	p.depth--
}
