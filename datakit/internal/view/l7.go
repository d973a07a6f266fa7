package view

// Endpoint is one row of GET /v1/view/http: an HTTP path as one side saw it.
type Endpoint struct {
	Direction    string  `json:"direction"` // incoming: served here; outgoing: requested from here
	Process      string  `json:"process"`
	Server       string  `json:"server"` // ip:port
	Method       string  `json:"method"`
	Path         string  `json:"path"`
	Count        int64   `json:"count"`
	Errors4xx    int64   `json:"errors_4xx"`
	Errors5xx    int64   `json:"errors_5xx"`
	ErrorRate    float64 `json:"error_rate"` // (4xx+5xx)/count
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	BytesRead    int64   `json:"bytes_read"`
	BytesWritten int64   `json:"bytes_written"`
}

// HTTPSeries is per slot, over the endpoints that match.
type HTTPSeries struct {
	Time   []int64   `json:"time"`
	Count  []int64   `json:"count"`
	Errors []int64   `json:"errors"`
	P50    []float64 `json:"p50_ms"`
	P99    []float64 `json:"p99_ms"`
}

// HTTP is GET /v1/view/http. Latency percentiles are of the TTFB means the
// collector reports per group and interval, weighted by their count, in
// buckets a factor √2 apart (see hist).
type HTTP struct {
	Endpoints []Endpoint `json:"endpoints"`
	Series    HTTPSeries `json:"series"`
}

// HTTP answers q from the httpflow aggregates.
func (s *Store) HTTP(q Query) HTTP {
	q.norm()
	n := q.slotsIn()
	out := HTTP{Series: HTTPSeries{Count: make([]int64, n), Errors: make([]int64, n), P50: make([]float64, n), P99: make([]float64, n)}}
	groups := map[httpKey]*httpVals{}
	keep := func(k httpKey) bool { return q.match(k.dir, k.proc, k.ns, k.pod) }
	s.mu.RLock()
	out.Series.Time = s.each(&q, func(i int, sl *slot) {
		if sl == nil {
			return
		}
		var all httpVals
		for k, v := range sl.http.m {
			if keep(k) {
				all.merge(v)
			}
		}
		out.Series.Count[i], out.Series.Errors[i] = all.count, all.errors4+all.errors5
		out.Series.P50[i], out.Series.P99[i] = all.lat.quantile(.5), all.lat.quantile(.99)
		sl.http.into(groups, keep)
	})
	s.mu.RUnlock()
	for k, v := range groups {
		e := Endpoint{Direction: k.dir, Process: k.proc, Server: k.server, Method: k.method, Path: k.path,
			Count: v.count, Errors4xx: v.errors4, Errors5xx: v.errors5,
			P50: v.lat.quantile(.5), P90: v.lat.quantile(.9), P99: v.lat.quantile(.99), BytesRead: v.read, BytesWritten: v.written}
		if v.count > 0 {
			e.ErrorRate = float64(v.errors4+v.errors5) / float64(v.count)
		}
		out.Endpoints = append(out.Endpoints, e)
	}
	out.Endpoints = top(out.Endpoints, q.Limit, func(e *Endpoint) int64 { return e.Count },
		func(e *Endpoint) string { return e.Direction + e.Process + e.Server + e.Method + e.Path })
	return out
}

// Domain is one row of GET /v1/view/dns.
type Domain struct {
	Direction string  `json:"direction"` // outgoing: asked from here; incoming: answered here
	Process   string  `json:"process"`
	Domain    string  `json:"domain"`
	Server    string  `json:"server"`
	Count     int64   `json:"count"`
	NXDomain  int64   `json:"nxdomain"`
	Timeouts  int64   `json:"timeouts"`
	Failures  int64   `json:"failures"` // other non-zero rcodes
	MeanMs    float64 `json:"mean_ms"`
	MaxMs     float64 `json:"max_ms"`
}

// DNSSeries is per slot, over the domains that match.
type DNSSeries struct {
	Time     []int64 `json:"time"`
	Count    []int64 `json:"count"`
	NXDomain []int64 `json:"nxdomain"`
	Timeouts []int64 `json:"timeouts"`
}

// DNS is GET /v1/view/dns.
type DNS struct {
	Domains []Domain  `json:"domains"`
	Series  DNSSeries `json:"series"`
}

// DNS answers q from the dnsflow aggregates.
func (s *Store) DNS(q Query) DNS {
	q.norm()
	n := q.slotsIn()
	out := DNS{Series: DNSSeries{Count: make([]int64, n), NXDomain: make([]int64, n), Timeouts: make([]int64, n)}}
	groups := map[dnsKey]*dnsVals{}
	keep := func(k dnsKey) bool { return q.match(k.dir, k.proc, k.ns, k.pod) }
	s.mu.RLock()
	out.Series.Time = s.each(&q, func(i int, sl *slot) {
		if sl == nil {
			return
		}
		for k, v := range sl.dns.m {
			if keep(k) {
				out.Series.Count[i] += v.count
				out.Series.NXDomain[i] += v.nxdomain
				out.Series.Timeouts[i] += v.timeouts
			}
		}
		sl.dns.into(groups, keep)
	})
	s.mu.RUnlock()
	for k, v := range groups {
		d := Domain{Direction: k.dir, Process: k.proc, Domain: k.domain, Server: k.server, Count: v.count,
			NXDomain: v.nxdomain, Timeouts: v.timeouts, Failures: v.failures, MaxMs: float64(v.latMax) / 1e6}
		if v.count > 0 {
			d.MeanMs = float64(v.latSum) / float64(v.count) / 1e6
		}
		out.Domains = append(out.Domains, d)
	}
	out.Domains = top(out.Domains, q.Limit, func(d *Domain) int64 { return d.Count },
		func(d *Domain) string { return d.Direction + d.Process + d.Domain + d.Server })
	return out
}

// Plugin is the collector's self-metrics of one plugin over the span.
type Plugin struct {
	Plugin   string           `json:"plugin"`
	Counters map[string]int64 `json:"counters"`
}

// HealthSeries is per slot, summed over the plugins: records decoded and
// lost (every *_drops and decode_errors counter).
type HealthSeries struct {
	Time   []int64 `json:"time"`
	Events []int64 `json:"events"`
	Drops  []int64 `json:"drops"`
}

// Health is the view's part of GET /v1/view/health (the API adds restarts
// and last errors).
type Health struct {
	Plugins []Plugin     `json:"plugins"`
	Series  HealthSeries `json:"series"`
}

// Health answers q from the datakit_ebpf aggregates.
func (s *Store) Health(q Query) Health {
	q.norm()
	n := q.slotsIn()
	out := Health{Plugins: []Plugin{}, Series: HealthSeries{Events: make([]int64, n), Drops: make([]int64, n)}}
	groups := map[string]*selfVals{}
	s.mu.RLock()
	out.Series.Time = s.each(&q, func(i int, sl *slot) {
		if sl == nil {
			return
		}
		for _, v := range sl.self.m {
			for j, f := range selfFields {
				switch f.slot {
				case fEvents:
					out.Series.Events[i] += v[j]
				case fDecodeErrors, fKernelDrops, fMapFullDrops, fQueueDrops, fTableDrops, fSendDrops:
					out.Series.Drops[i] += v[j]
				}
			}
		}
		sl.self.into(groups, func(string) bool { return true })
	})
	s.mu.RUnlock()
	for name, v := range groups {
		p := Plugin{Plugin: name, Counters: map[string]int64{}}
		for j, f := range selfFields {
			p.Counters[f.name] = v[j]
		}
		out.Plugins = append(out.Plugins, p)
	}
	out.Plugins = top(out.Plugins, len(out.Plugins), func(p *Plugin) int64 { return 0 }, func(p *Plugin) string { return p.Plugin })
	return out
}
