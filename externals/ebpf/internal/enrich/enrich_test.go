package enrich

import (
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
	"netobs.local/agent/externals/ebpf/internal/proccache"
)

type procs map[uint32]proccache.Info

func (p procs) Lookup(pid uint32) (proccache.Info, bool) { i, ok := p[pid]; return i, ok }

type notPid uint32

func (n notPid) Observe(pid uint32) bool { return pid != uint32(n) }

type nat struct{ to netip.AddrPort }

func (n nat) DstNAT(_ uint32, _ string, _, remote netip.AddrPort) (netip.AddrPort, bool) {
	return n.to, remote.Port() == 80
}

type capture struct{ pts []lp.Point }

func (c *capture) Write(_, _ string, pts []lp.Point) { c.pts = append(c.pts, pts...) }

func tagMap(tags []lp.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		if _, dup := m[t.Key]; dup {
			panic("duplicate tag " + t.Key)
		}
		m[t.Key] = t.Value
	}
	return m
}

// Every point leaving through Complete has every declared tag, N/A where
// its plugin did not know it; what it knew is kept.
func TestCompleteFillsDeclaredTags(t *testing.T) {
	var next capture
	Complete(&next).Write("network", "ebpf-net/httpflow", []lp.Point{{Name: "httpflow", Tags: []lp.Tag{{Key: "pid", Value: "7"}}}})
	got := tagMap(next.pts[0].Tags)
	if len(got) != len(measure.Httpflow.Tags) || got["pid"] != "7" || got["dst_nat_ip"] != "N/A" || got["process_path"] != "N/A" {
		t.Fatalf("%d tags of %d declared: %v", len(got), len(measure.Httpflow.Tags), got)
	}
}

// One stage selects, names the process and resolves the DNAT of an L7
// connection, as it does for netflow.
func TestStageSelectsAndEnriches(t *testing.T) {
	to := netip.MustParseAddrPort("10.0.0.9:8080")
	s := &Stage{Select: notPid(5), ProcessArgs: true, NAT: nat{to},
		Procs: procs{7: {Path: "/usr/bin/curl", Args: []string{"curl", "-s", "http://x/"}}}}
	if s.Observe(5) || !s.Observe(7) {
		t.Fatal("selection")
	}
	c := l7.ConnInfo{Pid: 7, Comm: "curl", Proto: l7.TCP, Outgoing: true,
		Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("10.96.0.1:80")}
	tags := tagMap(s.Enrich(s.ConnTags(flowtags.Builder{EphemeralStart: 32768})(nil, c), c))
	if tags["process_path"] != "/usr/bin/curl" || tags["process_args"] != "-s http://x/" || tags["pid"] != "7" {
		t.Errorf("process tags: %v", tags)
	}
	if tags["dst_nat_ip"] != "10.0.0.9" || tags["dst_nat_port"] != "8080" {
		t.Errorf("DNAT tags: %v", tags)
	}
	c.Outgoing = false // the server side: no DNAT of its own
	if tags := tagMap(s.ConnTags(flowtags.Builder{})(nil, c)); tags["dst_nat_ip"] != "N/A" {
		t.Errorf("incoming DNAT: %v", tags)
	}
	s.ProcessArgs = false
	s.Reset()
	if tags := tagMap(s.Enrich(nil, c)); len(tags) != 0 {
		t.Errorf("process tags with --process-args off: %v", tags)
	}
}
