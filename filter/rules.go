package filter

import "fmt"

// Record is one record to filter. i is the field's index in the Schema the
// rules were compiled against. Implementations return the zero value for a
// field the record does not have.
type Record interface {
	Bool(i int) bool
	Int(i int) int64
	Str(i int) string
}

// Rules is a compiled rule set. It is immutable, so one Rules may be used by
// many goroutines at once.
type Rules struct {
	rules []func(Record) bool
	info  []RuleInfo
}

// RuleInfo says where a rule came from, for logs and the command line.
type RuleInfo struct {
	Line, Col int    // where the rule starts
	Text      string // the rule's source text
}

// Compile parses and type-checks src against schema (not nil). On failure the error is
// a *Error, or an ErrorList when there are several (at most 10 are listed, in
// source order); no Rules are returned then, so a bad rule set is never
// half-applied.
func Compile(src string, schema *Schema) (*Rules, error) {
	errs := &errorSink{src: src}
	parsed := parse(lex(src, errs), errs)
	c := &compiler{schema: schema, errs: errs}
	r := &Rules{}
	for _, pr := range parsed {
		v := c.expr(pr.expr)
		if v.kind == 0 {
			continue
		}
		if v.kind != Bool {
			errs.add(pr.from, fmt.Sprintf("a rule must be bool, but this one is %s; compare it with == or !=", v.kind))
			continue
		}
		r.rules = append(r.rules, v.b)
		r.info = append(r.info, RuleInfo{Line: pr.from.line, Col: pr.from.col, Text: src[pr.from.off:pr.to.off]})
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// Match evaluates the rules in order and returns the index of the first one
// that is true; a record matched by any rule is to be dropped. It returns
// (-1, false) when no rule matches. Match does not allocate.
func (r *Rules) Match(rec Record) (rule int, dropped bool) {
	for i, f := range r.rules {
		if f(rec) {
			return i, true
		}
	}
	return -1, false
}

// Len is the number of rules.
func (r *Rules) Len() int { return len(r.rules) }

// Rule describes rule i, 0 <= i < Len().
func (r *Rules) Rule(i int) RuleInfo { return r.info[i] }
