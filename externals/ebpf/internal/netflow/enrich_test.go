package netflow

import (
	"net/netip"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

type fakeProcs map[uint32]string // pid → path; "-" excludes

func (p fakeProcs) Observe(pid uint32) bool { return p[pid] != "-" }
func (p fakeProcs) Tags(pid uint32) (string, string) {
	if p[pid] == "" {
		return "", ""
	}
	return p[pid], "-s x"
}

type fakeNAT map[netip.AddrPort]netip.AddrPort // remote → translated

func (n fakeNAT) DstNAT(netns uint32, transport string, local, remote netip.AddrPort) (netip.AddrPort, bool) {
	to, ok := n[remote]
	return to, ok && netns == 3 && transport == "tcp"
}

func tagMap(p lp.Point) map[string]string {
	m := map[string]string{}
	for _, t := range p.Tags {
		m[t.Key] = t.Value
	}
	return m
}

// Process tags come from Processes, excluded pids produce no point, and
// an outgoing flow carries its DNAT destination while others carry N/A.
func TestProcessesAndNAT(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	a.procs = fakeProcs{42: "/usr/bin/curl", 43: "-"}
	a.nat = fakeNAT{netip.MustParseAddrPort("10.0.0.2:80"): netip.MustParseAddrPort("10.9.9.9:8080")}
	nat := conn(roleClient, 40000, 80, 1, 1)
	nat.Tuple.Netns = 3
	plain := conn(roleClient, 40001, 81, 1, 1)
	plain.Tuple.Netns = 3
	excluded := conn(roleClient, 40002, 80, 1, 1)
	excluded.Pid = 43
	a.live(1, &nat)
	a.live(2, &plain)
	a.live(3, &excluded)
	pts := a.flush(time.Unix(1, 0), nil)
	if len(pts) != 2 {
		t.Fatalf("%d points, want 2 (pid 43 excluded): %+v", len(pts), pts)
	}
	for _, p := range pts {
		m := tagMap(p)
		fields(t, []lp.Point{p})
		if m["pid"] != "42" || m["process_path"] != "/usr/bin/curl" || m["process_args"] != "-s x" {
			t.Errorf("process tags: %v", m)
		}
		want := [2]string{"N/A", "N/A"}
		if m["dst_port"] == "80" {
			want = [2]string{"10.9.9.9", "8080"}
		}
		if got := [2]string{m["dst_nat_ip"], m["dst_nat_port"]}; got != want {
			t.Errorf("dst_port %s: dst_nat %v, want %v", m["dst_port"], got, want)
		}
	}
	a.procs = fakeProcs{}
	a.live(1, &nat) // no new bytes: no point
	nat.Stats.BytesRead++
	a.live(1, &nat)
	if m := tagMap(a.flush(time.Unix(2, 0), nil)[0]); m["process_path"] != "N/A" || m["process_args"] != "N/A" {
		t.Errorf("unknown process: %v", m)
	}
}

type fakeDomains map[netip.Addr]string

func (d fakeDomains) Lookup(a netip.Addr) (string, bool) { n, ok := d[a]; return n, ok }

// dst_domain names the remote address; server_domain the server's: the
// remote one for a client, the local one for a server.
func TestDomains(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	a.domains = fakeDomains{netip.MustParseAddr("10.0.0.1"): "me.example", netip.MustParseAddr("10.0.0.2"): "web.example"}
	client, server := conn(roleClient, 40000, 80, 1, 1), conn(roleServer, 80, 40000, 1, 1)
	a.live(1, &client)
	a.live(2, &server)
	pts := a.flush(time.Unix(1, 0), nil)
	if len(pts) != 2 {
		t.Fatalf("%d points", len(pts))
	}
	for _, p := range pts {
		m := tagMap(p)
		want := map[string][2]string{"outgoing": {"web.example", "web.example"}, "incoming": {"web.example", "me.example"}}[m["direction"]]
		if m["dst_domain"] != want[0] || m["server_domain"] != want[1] {
			t.Errorf("%s: dst_domain %q server_domain %q, want %q %q", m["direction"], m["dst_domain"], m["server_domain"], want[0], want[1])
		}
	}
}
