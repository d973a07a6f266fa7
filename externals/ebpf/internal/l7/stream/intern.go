package stream

// interner hands out one shared string per distinct byte sequence, so
// repeated paths and names cost no allocation. It is bounded: past max
// entries it returns fresh strings and counts them.
type interner struct {
	m        map[string]string
	max      int
	overflow *uint64
}

func newInterner(max int, overflow *uint64) interner {
	return interner{m: make(map[string]string), max: max, overflow: overflow}
}

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(in.m) < in.max {
		in.m[s] = s
	} else {
		*in.overflow++
	}
	return s
}
