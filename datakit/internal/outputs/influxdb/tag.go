package influxdb

import (
	"bytes"
	"strings"
)

var tagEscaper = strings.NewReplacer(",", `\,`, "=", `\=`, " ", `\ `)

// addTag inserts ",key=value" after the measurement of every line of lp
// unless the line already has a tag of that key (the point's own tag wins).
// InfluxDB and VictoriaMetrics do not need tags sorted.
func addTag(lp []byte, key, value string) []byte {
	ins := []byte("," + tagEscaper.Replace(key) + "=" + tagEscaper.Replace(value))
	own := ins[:len(ins)-len(tagEscaper.Replace(value))] // ",key="
	out := make([]byte, 0, len(lp)+len(lp)/64*len(ins)+len(ins))
	for len(lp) > 0 {
		start := len(lp) - len(bytes.TrimLeft(lp, " \t\r"))
		if start == len(lp) || lp[start] == '#' || lp[start] == '\n' {
			n := bytes.IndexByte(lp, '\n') + 1
			if n == 0 {
				n = len(lp)
			}
			out, lp = append(out, lp[:n]...), lp[n:]
			continue
		}
		m := unescapedEnd(lp, start, ", \n")
		t := unescapedEnd(lp, m, " \n")
		line := lp[:lineEnd(lp, t)]
		lp = lp[len(line):]
		if hasKey(line[m:t], own) {
			out = append(out, line...)
			continue
		}
		out = append(out, line[:m]...)
		out = append(out, ins...)
		out = append(out, line[m:]...)
	}
	return out
}

// lineEnd returns the length of the line starting in lp, its newline
// included, given that its fields start at from. A newline inside a quoted
// string field does not end the line.
func lineEnd(lp []byte, from int) int {
	quoted := false
	for i := from; i < len(lp); i++ {
		switch {
		case quoted && lp[i] == '\\':
			i++
		case lp[i] == '"':
			quoted = !quoted
		case !quoted && lp[i] == '\n':
			return i + 1
		}
	}
	return len(lp)
}

// unescapedEnd returns the index of the first byte of stop in b[from:] that
// is not escaped, or len(b). In measurements and tags a backslash escapes
// only ',', ' ' and '='; before anything else it is a literal backslash.
func unescapedEnd(b []byte, from int, stop string) int {
	for i := from; i < len(b); i++ {
		switch {
		case b[i] == '\\' && i+1 < len(b) && strings.IndexByte(", =", b[i+1]) >= 0:
			i++
		case strings.IndexByte(stop, b[i]) >= 0:
			return i
		}
	}
	return len(b)
}

// hasKey reports whether the tag section (",k=v,k2=v2") has the tag ",key=".
func hasKey(tags, own []byte) bool {
	for i := 0; i < len(tags); {
		if bytes.HasPrefix(tags[i:], own) {
			return true
		}
		i = unescapedEnd(tags, i+1, ",")
	}
	return false
}
