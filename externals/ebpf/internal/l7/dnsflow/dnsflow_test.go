package dnsflow

import (
	"net/netip"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// byPort tags a connection by its remote port only, so tests see grouping.
func byPort(dst []lp.Tag, c l7.ConnInfo) []lp.Tag {
	return append(dst, lp.Tag{Key: "dst_port", Value: c.Remote.String()})
}

func TestMeanMaxAndGrouping(t *testing.T) {
	a := New(Config{Tags: byPort, MaxSeries: 3})
	conn := l7.ConnInfo{Remote: netip.MustParseAddrPort("127.0.0.1:53")}
	for _, x := range []l7.DNSExchange{
		{Exchange: l7.Exchange{Conn: conn}, Name: "a.example", RCode: 0, LatencyNs: 100},
		{Exchange: l7.Exchange{Conn: conn}, Name: "a.example", RCode: 0, LatencyNs: 300},
		{Exchange: l7.Exchange{Conn: conn}, Name: "a.example", RCode: 3, LatencyNs: 50},
		{Exchange: l7.Exchange{Conn: conn}, Name: "b.example", RCode: -1, LatencyNs: 5e9},
		{Exchange: l7.Exchange{Conn: conn}, Name: "c.example", RCode: 0, LatencyNs: 1}, // a fourth series: overflow
	} {
		a.DNS(&x)
	}
	got := map[string][4]int64{}
	for _, p := range a.Flush(time.Unix(7, 0)) {
		var name string
		for _, t := range p.Tags {
			if t.Key == "dst_domain" {
				name = t.Value
			}
		}
		got[name+" "+string(rune('0'+p.Fields[3].Value.IntV()+1))] = [4]int64{
			p.Fields[0].Value.IntV(), p.Fields[1].Value.IntV(), p.Fields[2].Value.IntV(), p.Fields[3].Value.IntV()}
		if !p.Time.Equal(time.Unix(7, 0)) {
			t.Errorf("time %v", p.Time)
		}
	}
	want := map[string][4]int64{
		"a.example 1": {2, 200, 300, 0},
		"a.example 4": {1, 50, 50, 3},
		"b.example 0": {1, 5e9, 5e9, -1},
	}
	if len(got) != len(want) || a.Overflow() != 1 {
		t.Fatalf("got %v, overflow %d", got, a.Overflow())
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v (count, latency, latency_max, rcode), want %v", k, got[k], v)
		}
	}
}
