package view

import (
	"cmp"
	"slices"
	"time"

	"netobs.local/agent/datakit/internal/point"
)

// Filter selects groups by their local process, Kubernetes namespace and
// pod, and direction; an empty field matches everything.
type Filter struct {
	Process, Namespace, Pod, Direction string
}

func (f *Filter) match(dir, proc, ns, pod string) bool {
	return (f.Process == "" || f.Process == proc) && (f.Namespace == "" || f.Namespace == ns) &&
		(f.Pod == "" || f.Pod == pod) && (f.Direction == "" || f.Direction == dir)
}

// Query is what every answer is computed over.
type Query struct {
	Since time.Duration // back from Now; 0 or more than Retention: Retention
	Filter
	Limit int       // rows per list; 0: DefaultLimit
	Now   time.Time // zero: time.Now()
}

// DefaultLimit and MaxLimit bound the rows of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func (q *Query) norm() {
	if q.Since <= 0 || q.Since > Retention {
		q.Since = Retention
	}
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
}

// span is the first and last epoch of the query: the slots that overlap it.
func (q *Query) span() (from, to int64) {
	to = epochOf(q.Now)
	from = epochOf(q.Now.Add(-q.Since))
	return max(from, to-int64(Slots)+1), to
}

// each calls fn for every slot of the span in time order, with its index
// in the series (0 for the oldest); s.mu must be held for reading. Slots
// not written in the span are passed as nil.
func (s *Store) each(q *Query, fn func(i int, sl *slot)) (times []int64) {
	from, to := q.span()
	for e := from; e <= to; e++ {
		times = append(times, e*int64(Step/time.Second))
		sl := &s.slots[e%int64(Slots)]
		if sl.epoch != e {
			sl = nil
		}
		fn(int(e-from), sl)
	}
	return times
}

// Summary is GET /v1/view/summary.
type Summary struct {
	StepSeconds      int                `json:"step_seconds"`
	RetentionSeconds int                `json:"retention_seconds"`
	Now              int64              `json:"now"`
	Points           map[string]int64   `json:"points"`            // per category, over the span
	PerSecond        map[string]float64 `json:"points_per_second"` // per category, mean over the last minute
	Series           CategorySeries     `json:"series"`
	Processes        []string           `json:"processes"` // values seen in the span, for the filters
	Namespaces       []string           `json:"namespaces"`
	Pods             []string           `json:"pods"`
	Lines            int64              `json:"lines"`     // lines fed since start
	Undecoded        int64              `json:"undecoded"` // lines of a viewed measurement that did not decode
}

// CategorySeries is points per slot per category.
type CategorySeries struct {
	Time   []int64            `json:"time"` // unix seconds of each slot's start
	Points map[string][]int64 `json:"points"`
}

// Summary answers q.
func (s *Store) Summary(q Query) Summary {
	q.norm()
	out := Summary{StepSeconds: int(Step / time.Second), RetentionSeconds: int(Retention / time.Second),
		Now: q.Now.Unix(), Points: map[string]int64{}, PerSecond: map[string]float64{},
		Series: CategorySeries{Points: map[string][]int64{}}}
	n := q.slotsIn()
	for _, c := range point.Categories {
		out.Series.Points[c] = make([]int64, n)
		out.PerSecond[c] = 0
	}
	seen := [3]map[string]bool{{}, {}, {}}
	note := func(vals ...string) {
		for i, v := range vals {
			if v != Other && v != "" && len(seen[i]) < MaxLimit {
				seen[i][v] = true
			}
		}
	}
	minuteAgo := epochOf(q.Now.Add(-time.Minute))
	s.mu.RLock()
	out.Lines, out.Undecoded = s.lines, s.bad
	out.Series.Time = s.each(&q, func(i int, sl *slot) {
		if sl == nil {
			return
		}
		for ci, c := range point.Categories {
			out.Series.Points[c][i] = sl.cats[ci]
			out.Points[c] += sl.cats[ci]
			if sl.epoch > minuteAgo {
				out.PerSecond[c] += float64(sl.cats[ci]) / 60
			}
		}
		for k := range sl.flows.m {
			note(k.proc, k.ns, k.pod)
		}
		for k := range sl.http.m {
			note(k.proc, k.ns, k.pod)
		}
		for k := range sl.dns.m {
			note(k.proc, k.ns, k.pod)
		}
	})
	s.mu.RUnlock()
	out.Processes, out.Namespaces, out.Pods = sorted(seen[0]), sorted(seen[1]), sorted(seen[2])
	return out
}

func (q *Query) slotsIn() int {
	from, to := q.span()
	return int(to - from + 1)
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// top sorts rows by weight, largest first (ties by name), and cuts them to limit.
func top[T any](rows []T, limit int, weight func(*T) int64, name func(*T) string) []T {
	if rows == nil {
		return []T{} // JSON [], not null
	}
	slices.SortFunc(rows, func(a, b T) int {
		if c := cmp.Compare(weight(&b), weight(&a)); c != 0 {
			return c
		}
		return cmp.Compare(name(&a), name(&b))
	})
	return rows[:min(len(rows), limit)]
}

// Bash is GET /v1/view/bash: the newest commands first.
func (s *Store) Bash(q Query) []BashCommand {
	q.norm()
	since := q.Now.Add(-q.Since).UnixNano()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bash.newestFirst(q.Limit, func(c *BashCommand) bool { return c.Time >= since })
}

// Netlog is GET /v1/view/netlog: the newest records first.
func (s *Store) Netlog(q Query) []NetlogRecord {
	q.norm()
	since := q.Now.Add(-q.Since).UnixNano()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.netlog.newestFirst(q.Limit, func(r *NetlogRecord) bool {
		return r.Time >= since && (q.Namespace == "" || q.Namespace == r.Namespace) && (q.Pod == "" || q.Pod == r.Pod)
	})
}
