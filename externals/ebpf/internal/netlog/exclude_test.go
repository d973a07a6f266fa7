package netlog

import (
	"net/netip"
	"testing"

	"netobs.local/agent/dissect"
)

// exclude_loopback and ipv6_disabled reach bpf-netlog as they reach
// ebpf-net: the packet is dropped before the blacklist sees it.
func TestExcludeOptions(t *testing.T) {
	pkt := func(src, dst string) *dissect.Packet {
		return &dissect.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst)}
	}
	for _, c := range []struct {
		name           string
		loopback, ipv6 bool
		p              *dissect.Packet
		drop           bool
	}{
		{"loopback kept by default", false, false, pkt("127.0.0.1", "127.0.0.1"), false},
		{"loopback excluded", true, false, pkt("127.0.0.1", "127.0.0.2"), true},
		{"loopback destination excluded", true, false, pkt("10.0.0.1", "127.0.0.1"), true},
		{"IPv6 loopback excluded", true, false, pkt("::1", "::1"), true},
		{"other traffic kept", true, true, pkt("10.0.0.1", "10.0.0.2"), false},
		{"IPv6 kept by default", false, false, pkt("fd00::1", "fd00::2"), false},
		{"IPv6 disabled", false, true, pkt("fd00::1", "fd00::2"), true},
	} {
		cp := &capture{excludeLoopback: c.loopback, ipv6Disabled: c.ipv6}
		if got := cp.dropped(c.p, true); got != c.drop {
			t.Errorf("%s: dropped %v, want %v", c.name, got, c.drop)
		}
	}
}
