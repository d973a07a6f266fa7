// Package enrich is the one enrichment-and-selection stage every plugin's
// records go through, whatever made them: one selector decides which
// processes are observed (procselect's rules, and never the collector or
// its supervisor), one chain of enrichers turns a record's flow key into
// tags (the process, the DNAT destination; container and Kubernetes
// enrichers plug in as Enrichers), and every point leaving the collector
// carries every tag its measurement declares (Complete).
package enrich

import (
	"net/netip"
	"strconv"
	"sync"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// Key describes one record of any plugin: its endpoints, process, network
// namespace and direction.
type Key struct {
	Pid       uint32
	Netns     uint32 // 0: unknown (the socket capture does not say yet)
	Transport string // "tcp" / "udp"
	// Local is the observed process's end, Remote its peer.
	Local, Remote netip.AddrPort
	Outgoing      bool
}

// KeyOf is the flow key of an L7 connection.
func KeyOf(c l7.ConnInfo) Key {
	return Key{Pid: c.Pid, Transport: c.Proto.String(), Local: c.Local, Remote: c.Remote, Outgoing: c.Outgoing}
}

// Selector decides which processes are observed (procselect.Selector).
type Selector interface {
	Observe(pid uint32) bool
}

// Processes looks processes up (proccache.Cache).
type Processes interface {
	Lookup(pid uint32) (proccache.Info, bool)
}

// NAT resolves where a DNAT rule sent an outgoing flow (conntrack).
type NAT interface {
	DstNAT(netns uint32, transport string, local, remote netip.AddrPort) (netip.AddrPort, bool)
}

// Enricher adds the tags it knows of a flow key.
type Enricher interface {
	Enrich(dst []lp.Tag, k Key) []lp.Tag
}

// Stage is the stage's configuration and cache. Its methods are safe for
// concurrent use: every plugin calls them.
type Stage struct {
	Select Selector  // nil: every process observed
	Procs  Processes // nil: no process tags
	// ProcessArgs turns process_path and process_args on (--process-args).
	ProcessArgs bool
	NAT         NAT // nil: no DNAT tags (ebpf-conntrack off)
	// Enrichers run after the process enricher, in order.
	Enrichers []Enricher

	mu    sync.Mutex
	cache map[Key][]lp.Tag
}

// maxCached bounds the cached tag sets; the cache starts over past it.
const maxCached = 16384

// Observe reports whether records of pid are wanted.
func (s *Stage) Observe(pid uint32) bool { return s.Select == nil || s.Select.Observe(pid) }

// Tags returns pid's process_path and process_args values (empty when
// unknown or off): netflow's Processes.
func (s *Stage) Tags(pid uint32) (path, args string) {
	if !s.ProcessArgs || s.Procs == nil {
		return "", ""
	}
	info, ok := s.Procs.Lookup(pid)
	if !ok || info.Path == "" {
		return "", ""
	}
	return info.Path, proccache.FormatArgs(info.Args, info.ArgsCut)
}

// DstNAT is the NAT enricher's answer (netflow's NAT).
func (s *Stage) DstNAT(netns uint32, transport string, local, remote netip.AddrPort) (netip.AddrPort, bool) {
	if s.NAT == nil {
		return netip.AddrPort{}, false
	}
	return s.NAT.DstNAT(netns, transport, local, remote)
}

// Process appends the flush-time tags of k: the process enricher's, then
// the chain's. The tag sets are cached by key, the process being looked
// up once per key rather than once per series.
func (s *Stage) Process(dst []lp.Tag, k Key) []lp.Tag {
	s.mu.Lock()
	tags, ok := s.cache[k]
	s.mu.Unlock()
	if !ok {
		if path, args := s.Tags(k.Pid); path != "" {
			tags = append(tags, lp.Tag{Key: "process_path", Value: path}, lp.Tag{Key: "process_args", Value: args})
		}
		for _, e := range s.Enrichers {
			tags = e.Enrich(tags, k)
		}
		s.mu.Lock()
		if s.cache == nil || len(s.cache) >= maxCached {
			s.cache = map[Key][]lp.Tag{}
		}
		s.cache[k] = tags
		s.mu.Unlock()
	}
	return append(dst, tags...)
}

// Reset forgets the cached tag sets, once per interval: a process's
// cached tags do not outlive the pid's reuse.
func (s *Stage) Reset() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// Enrich is the stage as the L7 aggregators see it (l7.Stage).
func (s *Stage) Enrich(dst []lp.Tag, c l7.ConnInfo) []lp.Tag { return s.Process(dst, KeyOf(c)) }

// ConnTags builds the connection tags of L7 records as netflow's are
// built: endpoints, direction and family from b, the DNAT destination of
// an outgoing connection, pid and process_name.
func (s *Stage) ConnTags(b flowtags.Builder) l7.TagFunc {
	return func(dst []lp.Tag, c l7.ConnInfo) []lp.Tag {
		transport := c.Proto.String()
		f := flowtags.Flow{Transport: transport, Local: c.Local, Remote: c.Remote, Outgoing: c.Outgoing}
		if c.Outgoing {
			f.DstNAT, _ = s.DstNAT(0, transport, c.Local, c.Remote)
		}
		t := b.Build(f)
		dst = t.AppendNAT(t.Append(dst))
		return append(dst, lp.Tag{Key: "pid", Value: strconv.FormatUint(uint64(c.Pid), 10)}, lp.Tag{Key: "process_name", Value: c.Comm})
	}
}
