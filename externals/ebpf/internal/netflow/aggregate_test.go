package netflow

import (
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

type listenOn map[uint16]bool

func (l listenOn) Outgoing(_ uint32, _ string, port, _ uint16) bool { return !l[port] }

func conn(role uint8, sport, dport uint16, read, written uint64) netflowConn {
	var c netflowConn
	c.Tuple.Family, c.Tuple.Proto, c.Tuple.Sport, c.Tuple.Dport = 2, 6, sport, dport
	copy(c.Tuple.Saddr[:], []byte{10, 0, 0, 1})
	copy(c.Tuple.Daddr[:], []byte{10, 0, 0, 2})
	c.Role, c.Pid, c.StartNs = role, 42, 1
	c.Stats.BytesRead, c.Stats.BytesWritten, c.Stats.SrttUs = read, written, 100
	copy(c.Comm[:], []int8{'a', 'p', 'p'})
	return c
}

func fields(t *testing.T, pts []lp.Point) map[string]int64 {
	t.Helper()
	if len(pts) != 1 {
		t.Fatalf("%d points, want 1: %+v", len(pts), pts)
	}
	out := map[string]int64{}
	var tags []string
	types := map[string]measure.Type{}
	for _, f := range pts[0].Fields {
		out[f.Key] = f.Value.IntV()
		types[f.Key] = measure.Int
	}
	for _, tg := range pts[0].Tags {
		tags = append(tags, tg.Key)
	}
	if err := measure.Netflow.Check(tags, types); err != nil {
		t.Fatal(err)
	}
	if len(tags) != len(measure.Netflow.Tags) {
		t.Fatalf("%d tags, want every declared tag (%d)", len(tags), len(measure.Netflow.Tags))
	}
	return out
}

// A long-lived connection reports per-interval deltas, and its close is
// reported in the interval it happened, with only the remaining delta.
func TestLongLivedDeltasAndClose(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	now := time.Unix(100, 0)
	c := conn(roleClient, 40000, 80, 100, 10)
	a.live(7, &c)
	f := fields(t, a.flush(now, nil))
	if f["bytes_read"] != 100 || f["bytes_written"] != 10 || f["tcp_established"] != 1 || f["tcp_closed"] != 0 || f["rtt"] != 100 {
		t.Fatalf("interval 1: %v", f)
	}
	c.Stats.BytesRead = 150
	a.live(7, &c)
	f = fields(t, a.flush(now, nil))
	if f["bytes_read"] != 50 || f["bytes_written"] != 0 || f["tcp_established"] != 0 {
		t.Fatalf("interval 2: %v", f)
	}
	ev := netflowConnCloseEvent{Type: 1, Sk: 7, Conn: c}
	ev.Conn.Stats.BytesRead, ev.Conn.Stats.BytesWritten = 170, 15
	a.closedConn(&ev) // the kernel deletes the map entry before the record is readable: no late sighting
	f = fields(t, a.flush(now, nil))
	if f["bytes_read"] != 20 || f["bytes_written"] != 5 || f["tcp_closed"] != 1 || f["tcp_established"] != 0 {
		t.Fatalf("interval 3: %v", f)
	}
	if pts := a.flush(now, nil); len(pts) != 0 {
		t.Fatalf("idle interval emitted %v", pts)
	}
}

// A connection that opens and closes between two flushes still counts.
func TestShortConnectionBetweenFlushes(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	for sk := uint64(1); sk <= 3; sk++ {
		ev := netflowConnCloseEvent{Type: 1, Sk: sk, Conn: conn(roleServer, 80, uint16(40000+sk), 70, 500)}
		a.closedConn(&ev)
	}
	pts := a.flush(time.Unix(1, 0), []lp.Tag{{Key: "host", Value: "h"}})
	f := fields(t, pts)
	if f["tcp_established"] != 3 || f["tcp_closed"] != 3 || f["bytes_read"] != 210 || f["bytes_written"] != 1500 {
		t.Fatalf("got %v", f)
	}
	tags := map[string]string{}
	for _, tg := range pts[0].Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["direction"] != "incoming" || tags["dst_port"] != "*" || tags["src_port"] != "80" || tags["host"] != "h" || tags["process_name"] != "app" {
		t.Fatalf("tags %v", tags)
	}
}

// Connections older than the collector count from their first sighting,
// with the direction from the listening ports.
func TestPreexistingConnection(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{8080: true})
	c := conn(roleUnknown, 8080, 50000, 1000, 1000)
	a.live(9, &c)
	if pts := a.flush(time.Unix(1, 0), nil); len(pts) != 0 {
		t.Fatalf("history reported as this interval's: %v", pts)
	}
	c.Stats.BytesWritten = 1300
	a.live(9, &c)
	pts := a.flush(time.Unix(2, 0), nil)
	if f := fields(t, pts); f["bytes_written"] != 300 || f["tcp_established"] != 0 {
		t.Fatalf("got %v", f)
	}
}

func TestUDPDeltasAndIdle(t *testing.T) {
	a := newAggregator(flowtags.Builder{EphemeralStart: 32768}, listenOn{})
	var k netflowUdpKey
	k.Tuple.Family, k.Tuple.Proto, k.Tuple.Sport, k.Tuple.Dport, k.Pid = 2, 17, 40000, 53, 5
	s := netflowUdpStats{BytesSent: 40, BytesRecv: 100}
	if a.udp(&k, &s, false) {
		t.Fatal("active flow removed")
	}
	f := fields(t, a.flush(time.Unix(1, 0), nil))
	if f["bytes_written"] != 40 || f["bytes_read"] != 100 {
		t.Fatalf("got %v", f)
	}
	if _, ok := f["tcp_established"]; ok {
		t.Fatal("UDP point carries TCP fields")
	}
	if !a.udp(&k, &s, true) {
		t.Fatal("idle flow kept")
	}
}
