package conntrack

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	ct "github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"
)

func flow(proto uint8, src, dst, replySrc string, dnat bool) *ct.Flow {
	s, d, r := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst), netip.MustParseAddrPort(replySrc)
	f := ct.NewFlow(proto, 0, s.Addr(), d.Addr(), s.Port(), d.Port(), 60, 0)
	f.TupleReply = ct.Tuple{IP: ct.IPTuple{SourceAddress: r.Addr(), DestinationAddress: s.Addr()},
		Proto: ct.ProtoTuple{Protocol: proto, SourcePort: r.Port(), DestinationPort: s.Port()}}
	if dnat {
		f.Status.Value |= ct.StatusDstNAT
	}
	return &f
}

func TestTable(t *testing.T) {
	tb := NewTable(2, 10*time.Second)
	now := time.Unix(100, 0)
	local, svc := netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("10.96.0.10:80")
	tb.apply(7, uint8(ct.EventNew), flow(6, "10.0.0.2:40000", "10.96.0.10:80", "10.1.1.5:8080", true), now)
	tb.apply(7, uint8(ct.EventNew), flow(6, "10.0.0.2:40001", "10.0.0.9:80", "10.0.0.9:80", false), now) // no DNAT
	tb.apply(7, uint8(ct.EventNew), flow(1, "10.0.0.2:0", "10.96.0.10:0", "10.1.1.5:0", true), now)      // ICMP
	if tb.Len() != 1 {
		t.Fatalf("%d entries, want only the DNAT'ed TCP flow", tb.Len())
	}
	if to, ok := tb.DstNAT(7, "tcp", netip.MustParseAddrPort("[::ffff:10.0.0.2]:40000"), svc); !ok || to.String() != "10.1.1.5:8080" {
		t.Fatalf("same netns, v4-mapped local: %v %v", to, ok)
	}
	if to, ok := tb.DstNAT(8, "tcp", local, svc); !ok || to.String() != "10.1.1.5:8080" {
		t.Fatalf("other netns (a pod translated by the host): %v %v", to, ok)
	}
	if _, ok := tb.DstNAT(7, "udp", local, svc); ok {
		t.Fatal("udp matched a tcp entry")
	}
	tb.apply(7, uint8(ct.EventDestroy), flow(6, "10.0.0.2:40000", "10.96.0.10:80", "10.1.1.5:8080", true), now)
	tb.Sweep(now.Add(5 * time.Second))
	if _, ok := tb.DstNAT(7, "tcp", local, svc); !ok {
		t.Fatal("destroyed entry forgotten within the grace period")
	}
	tb.Sweep(now.Add(11 * time.Second))
	if _, ok := tb.DstNAT(7, "tcp", local, svc); ok || tb.Len() != 0 {
		t.Fatal("destroyed entry kept after the grace period")
	}
	for i := 0; i < 3; i++ {
		tb.apply(7, uint8(ct.EventNew), flow(17, netip.AddrPortFrom(local.Addr(), uint16(5000+i)).String(), "10.96.0.10:53", "10.1.1.6:53", true), now)
	}
	if tb.Len() != 2 || tb.Full.Load() != 1 {
		t.Fatalf("bound: len %d, full %d", tb.Len(), tb.Full.Load())
	}
	if to, ok := tb.DstNAT(7, "udp", netip.AddrPortFrom(local.Addr(), 5000), netip.MustParseAddrPort("10.96.0.10:53")); !ok || to.Port() != 53 {
		t.Fatalf("udp: %v %v", to, ok)
	}
}

// FuzzEvent feeds netlink message bodies through the library's event
// decoder and our conversion: no panic, and every accepted flow is a
// TCP/UDP DNAT with valid addresses.
func FuzzEvent(f *testing.F) {
	f.Add(uint16(netfilter.NFSubsysCTNetlink)<<8, []byte{2, 0, 0, 0})
	f.Add(uint16(netfilter.NFSubsysCTNetlink)<<8|2, []byte{10, 0, 0, 0, 0x34, 0, 1, 0x80})
	f.Fuzz(func(t *testing.T, typ uint16, body []byte) {
		var ev ct.Event
		msg := netlink.Message{Header: netlink.Header{Type: netlink.HeaderType(typ), Flags: netlink.Create | netlink.Excl}, Data: body}
		if err := ev.Unmarshal(msg); err != nil || ev.Flow == nil {
			return
		}
		if tp, to, ok := fromFlow(ev.Flow); ok && (!to.IsValid() || !tp.dst.IsValid() || tp.proto != 6 && tp.proto != 17) {
			t.Fatalf("accepted %+v → %v", tp, to)
		}
	})
}
