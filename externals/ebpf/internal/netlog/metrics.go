package netlog

import (
	"sync"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/httpflow"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// subSource marks netflow and httpflow computed from packets, so that they
// can be told from ebpf-net's socket-level figures.
const subSource = "packet"

// metrics sums the netflow and httpflow of every namespace's meter until
// the interval's flush. Like ebpf-net, it groups by tags only, so the same
// tags in two namespaces (two containers with one address) add up.
type metrics struct {
	extra []lp.Tag // host and global tags

	mu       sync.Mutex
	groups   map[flowtags.Tags]*counts
	http     *httpflow.Aggregator
	overflow uint64 // netflow groups refused at maxGroups
}

const maxGroups = 10000

func newMetrics(b flowtags.Builder, extra []lp.Tag) *metrics {
	m := &metrics{extra: extra, groups: map[flowtags.Tags]*counts{}}
	m.http = httpflow.New(httpflow.Config{Tags: packetTags(newTagCache(b)), MaxSeries: maxGroups})
	return m
}

// packetTags is httpflow's connection tag builder for packet-derived
// exchanges: flowtags' tags, and no process (packets carry none). It runs
// under the metrics lock.
func packetTags(c *tagCache) l7.TagFunc {
	return func(dst []lp.Tag, ci l7.ConnInfo) []lp.Tag {
		return c.appendTags(dst, flowtags.Flow{Transport: ci.Proto.String(), Local: ci.Local, Remote: ci.Remote, Outgoing: ci.Outgoing},
			lp.Tag{Key: "pid", Value: "N/A"}, lp.Tag{Key: "process_name", Value: "N/A"}, lp.Tag{Key: "sub_source", Value: subSource})
	}
}

// add merges one capture tick's counts and exchanges.
func (m *metrics) add(deltas []flowDelta, exchanges []l7.HTTPExchange) {
	if len(deltas)+len(exchanges) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range deltas {
		d := &deltas[i]
		g := m.groups[d.tags]
		if g == nil {
			if len(m.groups) >= maxGroups {
				m.overflow++
				continue
			}
			g = &counts{}
			m.groups[d.tags] = g
		}
		g.add(&d.c)
	}
	for i := range exchanges {
		m.http.HTTP(&exchanges[i])
	}
}

// flush returns the interval's netflow and httpflow points stamped now.
func (m *metrics) flush(now time.Time) (netflow, http []lp.Point) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for tags, c := range m.groups {
		netflow = append(netflow, m.netflowPoint(tags, c, now))
	}
	clear(m.groups)
	http = m.http.Flush(now)
	for i := range http {
		http[i].Tags = append(http[i].Tags, m.extra...)
	}
	return netflow, http
}

func (m *metrics) overflows() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overflow + m.http.Overflow()
}

// netflowPoint is one group's point, shaped like ebpf-net's: the tags
// packets cannot tell (process, NAT, domains, Kubernetes) are N/A.
func (m *metrics) netflowPoint(t flowtags.Tags, c *counts, now time.Time) lp.Point {
	tags := make([]lp.Tag, 0, len(measure.Netflow.Tags)+len(m.extra))
	tags = append(tags, lp.Tag{Key: "source", Value: measure.Netflow.Name}, lp.Tag{Key: "sub_source", Value: subSource})
	tags = t.AppendNAT(t.Append(tags))
	fc := measure.FlowCounts{BytesRead: c.read, BytesWritten: c.written, Retransmits: c.retrans,
		Established: c.established, Closed: c.closed, RTTSum: c.rttSum, RTTN: c.rttN}
	return lp.Point{Name: measure.Netflow.Name, Tags: measure.Netflow.Complete(tags, m.extra),
		Fields: fc.Fields(t.Transport == "tcp", false), Time: now}
}
