package point

import "github.com/influxdata/line-protocol/v2/lineprotocol"

// plainValue reports whether a field value written as b (as
// NextFieldBytes returns it: without the type suffix or quotes, a string
// unescaped and checked for UTF-8 by the decoder) is valid without
// parsing it and is exactly what AppendField writes for its value. The
// decoder then need not parse it, nor TranscodeLP format it again: both
// would only confirm b. When unsure it says no, and the value is parsed.
func plainValue(kind lineprotocol.ValueKind, b []byte) bool {
	switch kind {
	case lineprotocol.Int: // up to 18 digits: always in range
		if len(b) > 1 && b[0] == '-' {
			return b[1] != '0' && len(b) <= 19 && digits(b[1:]) // not -0, not -007
		}
		return len(b) <= 18 && plainUint(b)
	case lineprotocol.Uint:
		return len(b) <= 19 && plainUint(b)
	case lineprotocol.Float:
		return shortestFloat(b)
	case lineprotocol.Bool:
		return string(b) == "true" || string(b) == "false"
	case lineprotocol.String:
		for _, c := range b {
			if stringEsc[c] != 0 {
				return false
			}
		}
		return true
	}
	return false
}

// plainUint: decimal digits without a leading zero, as strconv writes them.
func plainUint(b []byte) bool {
	return len(b) > 0 && (b[0] != '0' || len(b) == 1) && digits(b)
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// shortestFloat reports whether b is how strconv.AppendFloat(x, 'g', -1,
// 64) writes the float x that b parses to. It accepts plain decimals
// -?I(.F)? with I without a leading zero (unless I is 0) and F not ending
// in 0, of at most 15 significant digits, and a decimal exponent from -4
// to 5 (outside it, 'g' switches to 1e+06 notation). 15 digits is the
// precision every decimal keeps through a float64 and back, so no shorter
// decimal parses to the same x: b is then the shortest form, as 'g' writes.
// Such a decimal is always a finite float64, so it needs no parsing.
func shortestFloat(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	in, frac := b, []byte(nil)
	for i, c := range b {
		if c == '.' {
			in, frac = b[:i], b[i+1:]
			if len(frac) == 0 || frac[len(frac)-1] == '0' || !digits(frac) {
				return false
			}
			break
		}
	}
	if !plainUint(in) {
		return false
	}
	if in[0] != '0' { // exponent len(in)-1, at most 5
		sig := len(in) + len(frac)
		if len(frac) == 0 {
			for sig > 1 && in[sig-1] == '0' { // 1200 has 2 significant digits
				sig--
			}
		}
		return len(in) <= 6 && sig <= 15
	}
	if len(frac) == 0 {
		return true // 0 (and -0, which 'g' writes as -0)
	}
	zeros := 0
	for frac[zeros] == '0' {
		zeros++
	}
	return zeros <= 3 && len(frac)-zeros <= 15 // 0.0001 is the smallest before 1e-05
}
