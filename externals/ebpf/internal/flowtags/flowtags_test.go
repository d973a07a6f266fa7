package flowtags

import (
	"net/netip"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	b := Builder{EphemeralStart: 32768}
	cases := []struct {
		name string
		f    Flow
		want Tags
	}{{
		name: "outgoing, ephemeral client port collapses",
		f:    Flow{"tcp", netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("8.8.8.8:443"), true, netip.AddrPort{}},
		want: Tags{Direction: "outgoing", Family: "IPv4", Transport: "tcp",
			Src:    Endpoint{"10.0.0.1", "private", "*"},
			Dst:    Endpoint{"8.8.8.8", "other", "443"},
			Client: Endpoint{"10.0.0.1", "private", "*"},
			Server: Endpoint{"8.8.8.8", "other", "443"}},
	}, {
		name: "incoming, remote ephemeral collapses, v4-mapped is IPv4",
		f:    Flow{"tcp", netip.MustParseAddrPort("[::ffff:127.0.0.1]:80"), netip.MustParseAddrPort("[::ffff:127.0.0.1]:50000"), false, netip.AddrPort{}},
		want: Tags{Direction: "incoming", Family: "IPv4", Transport: "tcp",
			Src:    Endpoint{"127.0.0.1", "private", "80"},
			Dst:    Endpoint{"127.0.0.1", "private", "*"},
			Client: Endpoint{"127.0.0.1", "private", "*"},
			Server: Endpoint{"127.0.0.1", "private", "80"}},
	}, {
		name: "client port below the ephemeral range is kept; multicast",
		f:    Flow{"udp", netip.MustParseAddrPort("[fe80::1]:5353"), netip.MustParseAddrPort("[ff02::fb]:5353"), true, netip.AddrPort{}},
		want: Tags{Direction: "outgoing", Family: "IPv6", Transport: "udp",
			Src:    Endpoint{"fe80::1", "private", "5353"},
			Dst:    Endpoint{"ff02::fb", "multicast", "5353"},
			Client: Endpoint{"fe80::1", "private", "5353"},
			Server: Endpoint{"ff02::fb", "multicast", "5353"}},
	}}
	for _, c := range cases {
		if got := b.Build(c.f); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
	if got := (Builder{}).Build(cases[0].f); got.Src.Port != "40000" {
		t.Errorf("EphemeralStart 0 must not collapse, got %q", got.Src.Port)
	}
}

func TestAppendHasEveryEndpointTag(t *testing.T) {
	tags := Builder{}.Build(Flow{"tcp", netip.MustParseAddrPort("1.2.3.4:1"), netip.MustParseAddrPort("5.6.7.8:2"), true, netip.AddrPort{}}).Append(nil)
	if len(tags) != 15 {
		t.Fatalf("%d tags, want 15: %v", len(tags), tags)
	}
}

func TestParseSockets(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
`
	udp := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0
  2: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0
`
	ports := map[portKey]bool{}
	if err := parseSockets(strings.NewReader(tcp), false, ports); err != nil {
		t.Fatal(err)
	}
	if err := parseSockets(strings.NewReader(udp), true, ports); err != nil {
		t.Fatal(err)
	}
	want := map[portKey]bool{{false, 80}: true, {true, 53}: true}
	if len(ports) != len(want) || !ports[portKey{false, 80}] || !ports[portKey{true, 53}] {
		t.Fatalf("got %v, want %v", ports, want)
	}
	if err := parseSockets(strings.NewReader("h\n 0: zz\n"), false, ports); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line: got %v", err)
	}
}

func TestOutgoing(t *testing.T) {
	l := NewListeners("/proc")
	l.Set(7, "udp", 53)
	l.Set(7, "udp", 40000)
	l.Set(7, "tcp", 40001)
	for _, c := range []struct {
		tr   string
		port uint16
		want bool
	}{{"udp", 53, false}, {"udp", 40000, true}, {"tcp", 40001, false}, {"udp", 9999, true}} {
		if got := l.Outgoing(7, c.tr, c.port, 32768); got != c.want {
			t.Errorf("Outgoing(%s %d) = %v, want %v", c.tr, c.port, got, c.want)
		}
	}
	if err := l.Refresh(); err != nil {
		t.Fatal(err)
	}
}

func TestDstNAT(t *testing.T) {
	nat := netip.MustParseAddrPort("[::ffff:10.0.0.9]:8080")
	f := Flow{"tcp", netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.96.0.1:80"), true, nat}
	tags := Builder{}.Build(f)
	if got := tags.AppendNAT(nil); got[0].Value != "10.0.0.9" || got[1].Value != "8080" {
		t.Errorf("outgoing with DNAT: %v", got)
	}
	f.Outgoing = false // the seed defines the NAT tags for outgoing data only
	if got := (Builder{}).Build(f).AppendNAT(nil); got[0].Value != "N/A" || got[1].Value != "N/A" {
		t.Errorf("incoming: %v", got)
	}
	f.Outgoing, f.DstNAT = true, netip.AddrPort{}
	if got := (Builder{}).Build(f).AppendNAT(nil); got[0].Value != "N/A" || got[1].Value != "N/A" {
		t.Errorf("no DNAT: %v", got)
	}
}

// Flows with the same Canonical form build the same tags, and Canonical
// keeps apart what the tags tell apart.
func TestCanonical(t *testing.T) {
	b := Builder{EphemeralStart: 32768}
	ap := netip.MustParseAddrPort
	for _, c := range []struct {
		a, b Flow
		same bool
	}{
		{Flow{Transport: "tcp", Local: ap("10.0.0.1:40000"), Remote: ap("10.0.0.2:80"), Outgoing: true},
			Flow{Transport: "tcp", Local: ap("10.0.0.1:50000"), Remote: ap("10.0.0.2:80"), Outgoing: true}, true},
		{Flow{Transport: "tcp", Local: ap("[::ffff:10.0.0.1]:40000"), Remote: ap("[::ffff:10.0.0.2]:80"), Outgoing: true},
			Flow{Transport: "tcp", Local: ap("10.0.0.1:50000"), Remote: ap("10.0.0.2:80"), Outgoing: true}, true},
		{Flow{Transport: "tcp", Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.2:40000")},
			Flow{Transport: "tcp", Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.2:40001")}, true},
		{Flow{Transport: "tcp", Local: ap("10.0.0.1:1000"), Remote: ap("10.0.0.2:80"), Outgoing: true},
			Flow{Transport: "tcp", Local: ap("10.0.0.1:1001"), Remote: ap("10.0.0.2:80"), Outgoing: true}, false},
		{Flow{Transport: "udp", Local: ap("10.0.0.1:53"), Remote: ap("0.0.0.0:0")},
			Flow{Transport: "udp", Local: ap("10.0.0.1:53"), Remote: ap("0.0.0.0:32768")}, false},
		{Flow{Transport: "tcp", Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.2:40000")},
			Flow{Transport: "tcp", Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.2:40000"), Outgoing: true}, false},
	} {
		same := b.Canonical(c.a) == b.Canonical(c.b)
		tagsSame := b.Build(c.a) == b.Build(c.b)
		if same != c.same || tagsSame != c.same {
			t.Errorf("%v / %v: canonical equal %v, tags equal %v, want %v", c.a, c.b, same, tagsSame, c.same)
		}
	}
}
