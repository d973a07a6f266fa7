package api

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// sourceCounts counts accepted points per ?input= value (the collector
// names its plugin and measurement there, e.g. ebpf-net/netflow), for at
// most max values; later ones count as otherInputs.
type sourceCounts struct {
	labels *inputLabels
	mu     sync.Mutex
	points map[string]int64
}

func newSourceCounts(max int) *sourceCounts {
	return &sourceCounts{labels: newInputLabels(max), points: map[string]int64{}}
}

func (c *sourceCounts) add(input string, n int) {
	if input == "" {
		input = "(none)"
	}
	l := c.labels.label(input)
	c.mu.Lock()
	c.points[l] += int64(n)
	c.mu.Unlock()
}

type series struct {
	labels map[string]string
	value  float64
}

// gatherSeries reads the counters or gauges of one family from the default
// registry (what GET /metrics serves).
func gatherSeries(name string) []series {
	fams, _ := prometheus.DefaultGatherer.Gather()
	var out []series
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			s := series{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				s.value = m.Counter.GetValue()
			case m.Gauge != nil:
				s.value = m.Gauge.GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

// AgentInfo is GET /v1/view/agent: what `datakit monitor` shows. Counters
// are totals since start; the monitor turns them into rates.
type AgentInfo struct {
	Host          string           `json:"host"`
	Version       string           `json:"version"`
	UptimeSeconds float64          `json:"uptime_seconds"`
	Inputs        []InputInfo      `json:"inputs"`
	Sources       map[string]int64 `json:"sources"`    // points accepted per ?input= value
	Categories    map[string]int64 `json:"categories"` // points accepted per category
	Outputs       []OutputInfo     `json:"outputs"`
	LastErrors    []LastError      `json:"last_errors"` // the newest 10, oldest first
}

// InputInfo is a configured input and its supervisor's restarts of it.
type InputInfo struct {
	Input
	Restarts int64 `json:"restarts"`
}

// OutputInfo is one output's disk queue (its spool) and deliveries.
type OutputInfo struct {
	Name          string `json:"name"`
	QueueBytes    int64  `json:"queue_bytes"`
	QueueBatches  int64  `json:"queue_batches"`
	PointsWritten int64  `json:"points_written"`
	PointsDropped int64  `json:"points_dropped"`
}

func (s *Server) viewAgent(c *gin.Context) {
	info := AgentInfo{Host: s.cfg.Hostname, Version: s.cfg.Version, UptimeSeconds: time.Since(s.started).Seconds(),
		Inputs: []InputInfo{}, Sources: map[string]int64{}, Categories: map[string]int64{}, Outputs: []OutputInfo{}}
	restarts := map[string]int64{}
	for _, m := range gatherSeries("datakit_child_restarts_total") {
		restarts[m.labels["input"]] = int64(m.value)
	}
	for _, in := range s.cfg.Inputs {
		info.Inputs = append(info.Inputs, InputInfo{in, restarts[in.Name]})
	}
	s.sources.mu.Lock()
	for k, v := range s.sources.points {
		info.Sources[k] = v
	}
	s.sources.mu.Unlock()
	for _, m := range gatherSeries("datakit_http_points_received_total") {
		info.Categories[m.labels["category"]] = int64(m.value)
	}
	outs := map[string]*OutputInfo{}
	out := func(name string) *OutputInfo {
		if outs[name] == nil {
			outs[name] = &OutputInfo{Name: name}
		}
		return outs[name]
	}
	for _, m := range gatherSeries("datakit_output_queue_bytes") {
		out(m.labels["output"]).QueueBytes = int64(m.value)
	}
	for _, m := range gatherSeries("datakit_output_queue_batches") {
		out(m.labels["output"]).QueueBatches = int64(m.value)
	}
	for _, m := range gatherSeries("datakit_output_points_written_total") {
		out(m.labels["output"]).PointsWritten += int64(m.value)
	}
	for _, m := range gatherSeries("datakit_output_points_dropped_total") {
		out(m.labels["output"]).PointsDropped += int64(m.value)
	}
	for _, o := range outs {
		info.Outputs = append(info.Outputs, *o)
	}
	sort.Slice(info.Outputs, func(i, j int) bool { return info.Outputs[i].Name < info.Outputs[j].Name })
	errs := s.errors.list()
	info.LastErrors = errs[max(0, len(errs)-10):]
	c.JSON(http.StatusOK, info)
}
