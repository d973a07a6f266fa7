package point

import "unsafe"

// arena hands out the strings and slices of one decoded batch from a few
// large allocations instead of several small ones per point: decoding sits
// on the ingest hot path. Memory handed out is never written again, which
// is what makes the unsafe.String views immutable. The price: one retained
// point keeps its chunk (at most tens of KiB) alive.
type arena struct {
	// src is the decoder's input when it is in memory: bytes the decoder
	// returns from inside it need no copy.
	src    []byte
	bytes  []byte
	points []Point
	tags   slab[Tag]
	fields slab[Field]
}

const (
	byteChunk  = 32 << 10
	pointChunk = 128
	slabChunk  = 1024
)

// inSrc reports whether b lies inside a.src.
func (a *arena) inSrc(b []byte) bool {
	return len(b) > 0 && a.offset(unsafe.SliceData(b), len(b)) >= 0
}

// offsetOf is the index in a.src where s starts, or -1 when s is not a
// view of it (it was unescaped, or copied).
func (a *arena) offsetOf(s string) int {
	if len(s) == 0 {
		return -1
	}
	return a.offset(unsafe.StringData(s), len(s))
}

// offset compares addresses, which is what tells a view of src from a copy.
func (a *arena) offset(p *byte, n int) int {
	if len(a.src) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(a.src)))
	at := uintptr(unsafe.Pointer(p))
	if at < base || at+uintptr(n) > base+uintptr(len(a.src)) {
		return -1
	}
	return int(at - base)
}

// copyBytes returns a stable copy of b.
func (a *arena) copyBytes(b []byte) []byte {
	if len(b) > cap(a.bytes)-len(a.bytes) {
		if len(b) > byteChunk/4 {
			return append([]byte(nil), b...)
		}
		a.bytes = make([]byte, 0, byteChunk)
	}
	n := len(a.bytes)
	a.bytes = append(a.bytes, b...)
	return a.bytes[n:len(a.bytes):len(a.bytes)]
}

// str returns b as a string that stays valid: a view of src when b lies
// in it, else a copy.
func (a *arena) str(b []byte) string {
	s, _ := a.view(b)
	return s
}

// view is str, and whether the string is a view of src.
func (a *arena) view(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	inSrc := a.inSrc(b)
	if !inSrc {
		b = a.copyBytes(b)
	}
	return unsafe.String(&b[0], len(b)), inSrc
}

// keep turns the entry the decoder just validated into a point that stays
// valid: its tags and fields move from the entry's scratch into the slabs.
func (a *arena) keep(e *lpEntry) *Point {
	if len(a.points) == cap(a.points) {
		a.points = make([]Point, 0, pointChunk)
	}
	a.points = a.points[:len(a.points)+1]
	p := &a.points[len(a.points)-1]
	p.Name = e.name
	p.Tags = a.tags.take(len(e.tags))
	copy(p.Tags, e.tags)
	p.Fields = a.fields.take(len(e.fields))
	for i := range e.fields {
		p.Fields[i] = e.fields[i].field()
	}
	p.Time = e.time
	return p
}

// slab holds the tags (or fields) of many points back to back.
type slab[T any] struct{ s []T }

// take returns a run of n elements (nil for none). Its capacity is capped
// so that a later append (adding tags to a point) copies instead of
// overwriting the next point's elements.
func (sl *slab[T]) take(n int) []T {
	if n == 0 {
		return nil
	}
	if cap(sl.s)-len(sl.s) < n {
		sl.s = make([]T, 0, max(slabChunk, n))
	}
	sl.s = sl.s[:len(sl.s)+n]
	return sl.s[len(sl.s)-n : len(sl.s) : len(sl.s)]
}
