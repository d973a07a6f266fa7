package httpflow

import (
	"net/netip"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

type names map[netip.Addr]string

func (n names) Lookup(a netip.Addr) (string, bool) { s, ok := n[a]; return s, ok }

// perConn tags by the local port, so two connections are two series unless
// the tag function collapses them.
func perConn(collapse bool) l7.TagFunc {
	return func(dst []lp.Tag, c l7.ConnInfo) []lp.Tag {
		port := c.Local.String()
		if collapse {
			port = "*"
		}
		return append(dst, lp.Tag{Key: "src_port", Value: port})
	}
}

func TestAggregate(t *testing.T) {
	srv := netip.MustParseAddrPort("10.1.1.1:80")
	a := New(Config{Tags: perConn(true), Domains: names{srv.Addr(): "api.example"}})
	for i, lat := range []uint64{100, 200, 600} {
		a.HTTP(&l7.HTTPExchange{
			Exchange: l7.Exchange{Conn: l7.ConnInfo{Local: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(40000+i)), Remote: srv, Outgoing: true}},
			Method:   "GET", Path: "/a", Version: "1.1", Status: 200, LatencyNs: lat, BytesRead: 10, BytesWritten: 3,
		})
	}
	pts := a.Flush(time.Unix(1, 0))
	if len(pts) != 1 {
		t.Fatalf("%d points, want 1 (ephemeral ports collapse)", len(pts))
	}
	p := pts[0]
	f := map[string]any{}
	for _, x := range p.Fields {
		f[x.Key] = x.Value.Interface()
	}
	if f["count"] != int64(3) || f["latency"] != int64(300) || f["bytes_read"] != int64(30) || f["bytes_written"] != int64(9) ||
		f["path"] != "/a" || f["status_code"] != int64(200) || f["truncated"] != false || f["http_version"] != "1.1" || f["method"] != "GET" {
		t.Errorf("fields %v", f)
	}
	tags := map[string]string{}
	for _, x := range p.Tags {
		tags[x.Key] = x.Value
	}
	if tags["dst_domain"] != "api.example" || tags["server_domain"] != "api.example" || tags["source"] != "httpflow" || tags["src_port"] != "*" {
		t.Errorf("tags %v", tags)
	}

	b := New(Config{Tags: perConn(false), MaxSeries: 2})
	for i := 0; i < 3; i++ {
		b.HTTP(&l7.HTTPExchange{Exchange: l7.Exchange{Conn: l7.ConnInfo{Local: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(40000+i))}}, Method: "GET", Path: "/"})
	}
	if n := len(b.Flush(time.Unix(1, 0))); n != 2 || b.Overflow() != 1 {
		t.Errorf("%d points, overflow %d", n, b.Overflow())
	}
}
