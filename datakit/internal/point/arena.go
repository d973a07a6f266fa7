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
	if len(a.src) == 0 || len(b) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(a.src)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= base && p+uintptr(len(b)) <= base+uintptr(len(a.src))
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
	if len(b) == 0 {
		return ""
	}
	if !a.inSrc(b) {
		b = a.copyBytes(b)
	}
	return unsafe.String(&b[0], len(b))
}

func (a *arena) point() *Point {
	if len(a.points) == cap(a.points) {
		a.points = make([]Point, 0, pointChunk)
	}
	a.points = a.points[:len(a.points)+1]
	return &a.points[len(a.points)-1]
}

// slab holds the tags (or fields) of many points back to back; a point's
// elements are pushed straight into it, with no scratch copy.
type slab[T any] struct{ s []T }

// begin starts a point's run of elements; the mark is its start index.
func (sl *slab[T]) begin() int { return len(sl.s) }

func (sl *slab[T]) count(mark int) int { return len(sl.s) - mark }

// push appends v to the run starting at *mark, moving the run to a fresh
// chunk when the current one is full (earlier points keep the old one).
func (sl *slab[T]) push(mark *int, v T) {
	if len(sl.s) == cap(sl.s) {
		n := len(sl.s) - *mark
		fresh := make([]T, n, max(slabChunk, 2*n))
		copy(fresh, sl.s[*mark:])
		sl.s, *mark = fresh, 0
	}
	sl.s = append(sl.s, v)
}

// end closes the run: normalize may reorder and shorten it in place. The
// capacity is capped so that a later append (the pipeline adding global
// tags) copies instead of overwriting the next point's elements.
func (sl *slab[T]) end(mark int, normalize func([]T) []T) []T {
	run := normalize(sl.s[mark:])
	if len(run) == 0 {
		sl.s = sl.s[:mark]
		return nil
	}
	sl.s = sl.s[:mark+len(run)]
	return sl.s[mark:len(sl.s):len(sl.s)]
}
