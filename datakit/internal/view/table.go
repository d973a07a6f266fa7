package view

// Other is the key part that stands for every group past a table's bound.
const Other = "(other)"

// merger is what a table's values do: add another of their kind.
type merger[V any] interface {
	*V
	merge(o *V)
}

// table holds the groups of one measurement in one slot: at most max keys;
// past that every new key is counted in the overflow group, whose key the
// caller gives (the key with its parts set to Other), so memory stays
// bounded whatever the cardinality of the traffic.
type table[K comparable, V any, P merger[V]] struct {
	m   map[K]*V
	max int
}

func newTable[K comparable, V any, P merger[V]](max int) table[K, V, P] {
	return table[K, V, P]{m: make(map[K]*V), max: max}
}

// get returns the group of k, or of other when k is new and the table full.
func (t *table[K, V, P]) get(k, other K) *V {
	if v, ok := t.m[k]; ok {
		return v
	}
	if len(t.m) >= t.max {
		k = other
		if v, ok := t.m[k]; ok {
			return v
		}
	}
	v := new(V)
	t.m[k] = v
	return v
}

func (t *table[K, V, P]) reset() { clear(t.m) }

// into merges the groups that keep accepts into dst.
func (t *table[K, V, P]) into(dst map[K]*V, keep func(K) bool) {
	for k, v := range t.m {
		if !keep(k) {
			continue
		}
		d, ok := dst[k]
		if !ok {
			d = new(V)
			dst[k] = d
		}
		P(d).merge(v)
	}
}
