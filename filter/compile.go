package filter

import (
	"cmp"
	"fmt"
)

// value is a type-checked, compiled expression: a closure of its kind, and
// its value when it is a constant. kind 0 marks an expression with an error
// that has already been reported, so it produces no further messages.
type value struct {
	kind Kind
	p    pos
	b    func(Record) bool
	i    func(Record) int64
	s    func(Record) string

	isConst bool
	cb      bool
	ci      int64
	cs      string
}

func constBool(p pos, v bool) value {
	return value{kind: Bool, p: p, isConst: true, cb: v, b: func(Record) bool { return v }}
}

func constInt(p pos, v int64) value {
	return value{kind: Int, p: p, isConst: true, ci: v, i: func(Record) int64 { return v }}
}

func constString(p pos, v string) value {
	return value{kind: String, p: p, isConst: true, cs: v, s: func(Record) string { return v }}
}

// compiler type-checks syntax trees and turns them into closures.
type compiler struct {
	schema *Schema
	errs   *errorSink
}

func (c *compiler) expr(n node) value {
	switch n := n.(type) {
	case *litExpr:
		switch n.kind {
		case Bool:
			return constBool(n.p, n.b)
		case Int:
			return constInt(n.p, n.i)
		}
		return constString(n.p, n.s)
	case *identExpr:
		return c.field(n)
	case *parenExpr:
		v := c.expr(n.x)
		v.p = n.p
		return v
	case *notExpr:
		x := c.expr(n.x)
		if !c.wantBool(x, "operand of '!'") {
			return value{}
		}
		if x.isConst {
			return constBool(n.p, !x.cb)
		}
		f := x.b
		return value{kind: Bool, p: n.p, b: func(r Record) bool { return !f(r) }}
	case *binaryExpr:
		if n.op == tAnd || n.op == tOr {
			return c.logical(n)
		}
		return c.comparison(n)
	case *callExpr:
		return c.call(n)
	}
	panic(fmt.Sprintf("filter: unexpected node %T", n))
}

func (c *compiler) field(n *identExpr) value {
	i, ok := c.schema.Index(n.name)
	if !ok {
		if _, isFunc := builtins[n.name]; isFunc {
			c.errs.add(n.p, fmt.Sprintf("%s is a function; call it as %s(%s)", n.name, n.name, builtins[n.name].signature()))
		} else {
			c.errs.add(n.p, fmt.Sprintf("unknown field %s%s", n.name, suggest(n.name, c.schema.names())))
		}
		return value{}
	}
	v := value{kind: c.schema.fields[i].Kind, p: n.p}
	switch v.kind {
	case Bool:
		v.b = func(r Record) bool { return r.Bool(i) }
	case Int:
		v.i = func(r Record) int64 { return r.Int(i) }
	case String:
		v.s = func(r Record) string { return r.Str(i) }
	}
	return v
}

// wantBool reports an error unless v is a bool; what names v's role.
func (c *compiler) wantBool(v value, what string) bool {
	if v.kind == 0 {
		return false
	}
	if v.kind != Bool {
		c.errs.add(v.p, fmt.Sprintf("%s must be bool, not %s", what, v.kind))
		return false
	}
	return true
}

// logical compiles a chain of the same operator (a || b || c) into one loop,
// dropping constant operands that cannot change the result.
func (c *compiler) logical(n *binaryExpr) value {
	var operands []node
	for x := node(n); ; {
		b, ok := x.(*binaryExpr)
		if !ok || b.op != n.op {
			operands = append(operands, x)
			break
		}
		operands = append(operands, b.y)
		x = b.x
	}
	isOr := n.op == tOr
	var fns []func(Record) bool
	ok, decided := true, false
	for k := len(operands) - 1; k >= 0; k-- { // collected right to left
		v := c.expr(operands[k])
		if !c.wantBool(v, "operand of "+n.op.String()) {
			ok = false
			continue
		}
		switch {
		case !v.isConst:
			fns = append(fns, v.b)
		case v.cb == isOr: // true || ..., false && ...
			decided = true
		}
	}
	p := n.start()
	switch {
	case !ok:
		return value{}
	case decided:
		return constBool(p, isOr)
	case len(fns) == 0:
		return constBool(p, !isOr)
	case len(fns) == 1:
		return value{kind: Bool, p: p, b: fns[0]}
	case len(fns) == 2 && isOr:
		x, y := fns[0], fns[1]
		return value{kind: Bool, p: p, b: func(r Record) bool { return x(r) || y(r) }}
	case len(fns) == 2:
		x, y := fns[0], fns[1]
		return value{kind: Bool, p: p, b: func(r Record) bool { return x(r) && y(r) }}
	case isOr:
		return value{kind: Bool, p: p, b: func(r Record) bool {
			for _, f := range fns {
				if f(r) {
					return true
				}
			}
			return false
		}}
	}
	return value{kind: Bool, p: p, b: func(r Record) bool {
		for _, f := range fns {
			if !f(r) {
				return false
			}
		}
		return true
	}}
}

func (c *compiler) comparison(n *binaryExpr) value {
	x, y := c.expr(n.x), c.expr(n.y)
	if x.kind == 0 || y.kind == 0 {
		return value{}
	}
	if x.kind != y.kind {
		c.errs.add(n.opPos, fmt.Sprintf("mismatched types %s and %s in %s", x.kind, y.kind, n.op))
		return value{}
	}
	ordering := n.op != tEq && n.op != tNe
	if ordering && x.kind != Int {
		c.errs.add(n.opPos, fmt.Sprintf("operator %s is not defined on %s (only on int)", n.op, x.kind))
		return value{}
	}
	var f func(Record) bool
	switch x.kind {
	case Int:
		f = compare(n.op, x.i, y.i, x.isConst, x.ci, y.isConst, y.ci)
	case String:
		f = compare(n.op, x.s, y.s, x.isConst, x.cs, y.isConst, y.cs)
	default:
		f = compareBools(n.op == tEq, x, y)
	}
	return fold(value{kind: Bool, p: x.p, b: f}, x, y)
}

// fold turns v into a constant when all its operands are constants; it is
// evaluated once with a nil Record, which constant closures never touch.
func fold(v value, operands ...value) value {
	for _, o := range operands {
		if !o.isConst {
			return v
		}
	}
	return constBool(v.p, v.b(nil))
}

// compare builds x op y, with a faster form when one side is a constant.
func compare[T cmp.Ordered](op tokKind, x, y func(Record) T, xConst bool, xc T, yConst bool, yc T) func(Record) bool {
	if xConst && !yConst { // c < y is y > c
		return compareConst(mirror(op), y, xc)
	}
	if yConst {
		return compareConst(op, x, yc)
	}
	switch op {
	case tEq:
		return func(r Record) bool { return x(r) == y(r) }
	case tNe:
		return func(r Record) bool { return x(r) != y(r) }
	case tLt:
		return func(r Record) bool { return x(r) < y(r) }
	case tLe:
		return func(r Record) bool { return x(r) <= y(r) }
	case tGt:
		return func(r Record) bool { return x(r) > y(r) }
	}
	return func(r Record) bool { return x(r) >= y(r) }
}

func compareConst[T cmp.Ordered](op tokKind, x func(Record) T, c T) func(Record) bool {
	switch op {
	case tEq:
		return func(r Record) bool { return x(r) == c }
	case tNe:
		return func(r Record) bool { return x(r) != c }
	case tLt:
		return func(r Record) bool { return x(r) < c }
	case tLe:
		return func(r Record) bool { return x(r) <= c }
	case tGt:
		return func(r Record) bool { return x(r) > c }
	}
	return func(r Record) bool { return x(r) >= c }
}

func mirror(op tokKind) tokKind {
	switch op {
	case tLt:
		return tGt
	case tLe:
		return tGe
	case tGt:
		return tLt
	case tGe:
		return tLe
	}
	return op
}

// compareBools builds x == y (eq) or x != y; against a constant it is x or !x.
func compareBools(eq bool, x, y value) func(Record) bool {
	if x.isConst {
		x, y = y, x
	}
	f, g := x.b, y.b
	switch {
	case y.isConst && y.cb == eq:
		return f
	case y.isConst:
		return func(r Record) bool { return !f(r) }
	case eq:
		return func(r Record) bool { return f(r) == g(r) }
	}
	return func(r Record) bool { return f(r) != g(r) }
}
