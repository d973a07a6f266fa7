package local

import (
	"bytes"
	"sync"
	"time"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// window keeps the newest points, at most max of them and none that arrived
// more than maxAge ago. It keeps them as the line protocol it was given (one
// point per line, as the pipeline encodes it) and decodes only on query, so
// the write path stays cheap; queries are rare (live views, tests).
type window struct {
	mu     sync.RWMutex
	chunks []chunk // oldest first
	points int
	max    int
	maxAge time.Duration
}

type chunk struct {
	category string
	arrived  time.Time
	lp       []byte
	points   int
}

func newWindow(max int, maxAge time.Duration) *window {
	return &window{max: max, maxAge: maxAge}
}

func (w *window) add(category string, lp []byte, now time.Time) {
	if w.max == 0 {
		return
	}
	n := bytes.Count(lp, []byte{'\n'})
	if len(lp) > 0 && lp[len(lp)-1] != '\n' {
		n++
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// No copy: lp is ours to keep (see outputs.Output).
	w.chunks = append(w.chunks, chunk{category: category, arrived: now, lp: lp, points: n})
	w.points += n
	w.expire(now)
}

// expire drops what is past the age bound, then the oldest points past the
// count bound; w.mu must be held for writing.
func (w *window) expire(now time.Time) {
	drop := 0
	for drop < len(w.chunks) && now.Sub(w.chunks[drop].arrived) > w.maxAge {
		w.points -= w.chunks[drop].points
		drop++
	}
	for drop < len(w.chunks) && w.points-w.chunks[drop].points >= w.max {
		w.points -= w.chunks[drop].points
		drop++
	}
	if drop > 0 {
		clear(w.chunks[:drop])
		w.chunks = w.chunks[drop:]
	}
	if over := w.points - w.max; over > 0 { // cut the oldest chunk's first lines
		c := &w.chunks[0]
		for i := 0; i < over; i++ {
			c.lp = c.lp[bytes.IndexByte(c.lp, '\n')+1:]
		}
		c.points -= over
		w.points -= over
	}
}

// query returns the matching points, oldest first. Since counts back from
// now by arrival time in the window, not by the points' own timestamps.
func (w *window) query(q pipeline.Query, now time.Time) []*point.Point {
	w.mu.RLock()
	var picked []chunk
	for _, c := range w.chunks {
		age := now.Sub(c.arrived)
		if age > w.maxAge || q.Since > 0 && age > q.Since || q.Category != "" && c.category != q.Category {
			continue
		}
		picked = append(picked, c)
	}
	w.mu.RUnlock()
	var out []*point.Point
	for _, c := range picked {
		pts, err := decode(c.lp)
		if err != nil {
			continue // cannot happen: the pipeline encoded it
		}
		for _, p := range pts {
			if (q.Measurement == "" || p.Name == q.Measurement) && hasTags(p, q.Tags) {
				out = append(out, p)
			}
		}
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
