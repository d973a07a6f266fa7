package view

import "math"

// hist counts latencies in buckets a factor √2 apart, from 1 µs (bucket 0
// holds everything below) to about 16 s (the last holds everything above):
// 48 counters, so every group of every slot can carry one.
type hist [48]uint32

const histBase = 1000 // ns: the upper bound of bucket 0

func (h *hist) add(ns int64, n int64) {
	i := 0
	if ns > histBase {
		i = int(math.Ceil(2 * math.Log2(float64(ns)/histBase)))
	}
	h[min(i, len(h)-1)] += uint32(min(n, math.MaxUint32))
}

func (h *hist) merge(o *hist) {
	for i, c := range o {
		h[i] += c
	}
}

// quantile is the upper bound of the bucket holding the q-th quantile, in
// milliseconds (0 when empty): an overestimate by at most a factor √2.
func (h *hist) quantile(q float64) float64 {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h {
		seen += uint64(c)
		if seen >= max(rank, 1) {
			return histBase * math.Pow(2, float64(i)/2) / 1e6
		}
	}
	return 0
}
