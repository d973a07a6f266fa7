package local

import (
	"sync"
	"time"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// window keeps the newest points, at most max of them and none older than
// maxAge (by arrival), in a ring.
type window struct {
	mu     sync.RWMutex
	ring   []entry
	start  int // oldest
	n      int
	maxAge time.Duration
}

type entry struct {
	category string
	arrived  time.Time
	p        *point.Point
}

func newWindow(max int, maxAge time.Duration) *window {
	return &window{ring: make([]entry, max), maxAge: maxAge}
}

func (w *window) add(category string, pts []*point.Point, now time.Time) {
	if len(w.ring) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range pts {
		e := entry{category: category, arrived: now, p: p}
		if w.n == len(w.ring) {
			w.ring[w.start] = e
			w.start = (w.start + 1) % len(w.ring)
		} else {
			w.ring[(w.start+w.n)%len(w.ring)] = e
			w.n++
		}
	}
	w.expire(now)
}

// expire drops entries older than maxAge; w.mu must be held for writing.
func (w *window) expire(now time.Time) {
	for w.n > 0 && now.Sub(w.ring[w.start].arrived) > w.maxAge {
		w.ring[w.start] = entry{}
		w.start = (w.start + 1) % len(w.ring)
		w.n--
	}
}

// query returns the matching points, oldest first. Since counts back from
// now by arrival time in the window, not by the points' own timestamps.
func (w *window) query(q pipeline.Query, now time.Time) []*point.Point {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var out []*point.Point
	for i := 0; i < w.n; i++ {
		e := &w.ring[(w.start+i)%len(w.ring)]
		age := now.Sub(e.arrived)
		if age > w.maxAge || q.Since > 0 && age > q.Since ||
			q.Category != "" && e.category != q.Category ||
			q.Measurement != "" && e.p.Name != q.Measurement || !hasTags(e.p, q.Tags) {
			continue
		}
		out = append(out, e.p)
	}
	return out
}

func hasTags(p *point.Point, want []point.Tag) bool {
next:
	for _, w := range want {
		for _, t := range p.Tags {
			if t.Key == w.Key {
				if t.Value == w.Value {
					continue next
				}
				return false
			}
		}
		return false
	}
	return true
}
