package point

import "unsafe"

// arena hands out the strings and slices of one decoded batch from a few
// large allocations instead of several small ones per point: decoding sits
// on the ingest hot path. Memory handed out is never written again, which
// is what makes the unsafe.String views immutable. The price: one retained
// point keeps its chunk (at most tens of KiB) alive.
type arena struct {
	bytes  []byte
	points []Point
	tags   []Tag
	fields []Field
}

const (
	byteChunk  = 32 << 10
	pointChunk = 128
	tagChunk   = 1024
	fieldChunk = 1024
)

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

func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	c := a.copyBytes(b)
	return unsafe.String(&c[0], len(c))
}

// shape remembers the keys of the previous entry, in input order. Points
// in a batch mostly share their name and keys, so comparing with the key
// at the same position (a memcmp) shares one copy across the batch at a
// fraction of the cost of a map lookup.
type shape []string

func (sh *shape) key(a *arena, i int, b []byte) string {
	if i < len(*sh) {
		if s := (*sh)[i]; s == string(b) {
			return s
		}
		s := a.str(b)
		(*sh)[i] = s
		return s
	}
	s := a.str(b)
	*sh = append(*sh, s)
	return s
}

func (a *arena) point() *Point {
	if len(a.points) == cap(a.points) {
		a.points = make([]Point, 0, pointChunk)
	}
	a.points = a.points[:len(a.points)+1]
	return &a.points[len(a.points)-1]
}

// carve copies src into the slab and returns it with its capacity capped,
// so an append by a later owner (the pipeline adding global tags) copies
// instead of overwriting the neighbour.
func carve[T any](slab *[]T, src []T, chunk int) []T {
	if len(src) == 0 {
		return nil
	}
	if len(src) > cap(*slab)-len(*slab) {
		*slab = make([]T, 0, max(chunk, len(src)))
	}
	n := len(*slab)
	*slab = append(*slab, src...)
	return (*slab)[n:len(*slab):len(*slab)]
}
