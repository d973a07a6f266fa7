package httpparse

// Method returns the constant string of a method token: one of Methods,
// or MethodOther. HTTP/2's :method uses it, so both versions bound the
// method tag alike.
func Method(b []byte) string { return method(b) }

// StripTarget returns a request target's path without its query,
// fragment or path parameters (see stripTarget). HTTP/2's :path uses it.
func StripTarget(t []byte) []byte {
	p, _ := stripTarget(t)
	return p
}
