// Package conntags gives each distinct connection tag set of an interval a
// small id, calling the (allocating) tag builder once per connection rather
// than once per exchange. Connections whose tags are equal (ephemeral ports
// collapse to "*") share an id, so aggregators keyed by id count series,
// not connections.
package conntags

import (
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Interner maps connections to tag-set ids until Reset.
type Interner struct {
	fn     l7.TagFunc
	max    int
	byConn map[l7.ConnInfo]int32
	bySig  map[string]int32
	sets   [][]lp.Tag
	firsts []l7.ConnInfo // the first connection of each set
	buf    []lp.Tag
	sig    []byte
}

// New returns an Interner that remembers at most max connections and max
// tag sets per interval.
func New(fn l7.TagFunc, max int) *Interner {
	return &Interner{fn: fn, max: max, byConn: map[l7.ConnInfo]int32{}, bySig: map[string]int32{}}
}

// ID returns the tag-set id of c, or -1 when max distinct tag sets are
// already held.
func (in *Interner) ID(c l7.ConnInfo) int32 {
	if id, ok := in.byConn[c]; ok {
		return id
	}
	in.buf = in.fn(in.buf[:0], c)
	in.sig = in.sig[:0]
	for _, t := range in.buf {
		in.sig = append(append(append(append(in.sig, t.Key...), 0), t.Value...), 0)
	}
	id, ok := in.bySig[string(in.sig)]
	if !ok {
		if len(in.sets) >= in.max {
			return -1
		}
		id = int32(len(in.sets))
		in.sets = append(in.sets, append([]lp.Tag(nil), in.buf...))
		in.firsts = append(in.firsts, c)
		in.bySig[string(in.sig)] = id
	}
	if len(in.byConn) < in.max {
		in.byConn[c] = id
	}
	return id
}

// Tags returns the tags of id; the caller must not modify them.
func (in *Interner) Tags(id int32) []lp.Tag { return in.sets[id] }

// Conn returns the first connection whose tags are id's. Every connection
// of a set has its pid and endpoints' tags, so it stands for all of them
// in the enrichment and selection stage.
func (in *Interner) Conn(id int32) l7.ConnInfo { return in.firsts[id] }

// Reset forgets everything, at the end of an interval.
func (in *Interner) Reset() {
	clear(in.byConn)
	clear(in.bySig)
	clear(in.sets)
	in.sets = in.sets[:0]
	in.firsts = in.firsts[:0]
}

// Series is one interval's bounded table of the series of a measurement:
// a series is a connection tag set plus the caller's key K, with its
// stats S. Not safe for concurrent use.
type Series[K comparable, S any] struct {
	conns    *Interner
	max      int
	m        map[seriesKey[K]]*S
	overflow uint64
}

type seriesKey[K comparable] struct {
	conn int32
	k    K
}

// NewSeries returns a table of at most max series (10000 when max <= 0)
// whose connection tags fn builds.
func NewSeries[K comparable, S any](fn l7.TagFunc, max int) *Series[K, S] {
	if max <= 0 {
		max = 10000
	}
	return &Series[K, S]{conns: New(fn, max), max: max, m: map[seriesKey[K]]*S{}}
}

// Get returns the stats of the series (c's tags, k), created is true when
// it was added now; nil when a bound is reached (counted in Overflow).
func (s *Series[K, S]) Get(c l7.ConnInfo, k K) (st *S, created bool) {
	id := s.conns.ID(c)
	if id < 0 {
		s.overflow++
		return nil, false
	}
	sk := seriesKey[K]{id, k}
	if st = s.m[sk]; st != nil {
		return st, false
	}
	if len(s.m) >= s.max {
		s.overflow++
		return nil, false
	}
	st = new(S)
	s.m[sk] = st
	return st, true
}

// Overflow counts what Get refused.
func (s *Series[K, S]) Overflow() uint64 { return s.overflow }

// Len is the number of series of this interval.
func (s *Series[K, S]) Len() int { return len(s.m) }

// Flush calls fn for every series with its connection tags (not to be
// modified) and a connection they stand for, then starts a new interval.
func (s *Series[K, S]) Flush(fn func(tags []lp.Tag, c l7.ConnInfo, k K, st *S)) {
	for sk, st := range s.m {
		fn(s.conns.Tags(sk.conn), s.conns.Conn(sk.conn), sk.k, st)
	}
	clear(s.m)
	s.conns.Reset()
}
