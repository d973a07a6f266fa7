package netlog

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// recorded is testdata/http100.pcap: 100 HTTP/1.0 connections from curl
// (10.239.1.1) to python3 -m http.server (10.239.1.2:8080), 50 of
// GET /page.html?i=N (200, 1.3 kB) and 50 of GET /missing/N (404), captured
// with `tcpdump -i <veth> -s 0 tcp` in the client's namespace.
const recorded = "testdata/http100.pcap"

type recFrame struct {
	data []byte
	ts   time.Time
}

func readCapture(tb testing.TB, file string) []recFrame {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	var out []recFrame
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		out = append(out, recFrame{data, ci.Timestamp})
	}
}

// TestMeterReplaysRecordedCapture feeds the recorded capture through the
// metric path as the client's namespace: every connection established and
// closed, the HTTP exchanges with their statuses, and bytes equal to
// tshark's payload sums of the same file.
func TestMeterReplaysRecordedCapture(t *testing.T) {
	frames := readCapture(t, recorded)
	m, agg := testMeter("10.239.1.1")
	dec := dissect.NewDecoder(layers.LayerTypeEthernet)
	var p dissect.Packet
	for _, f := range frames {
		if err := dec.Decode(f.data, &p); err != nil {
			t.Fatal(err)
		}
		m.packet(&p, 2, len(p.Payload), f.ts)
	}
	m.tick(frames[len(frames)-1].ts.Add(time.Minute))
	agg.add(m.take())
	netflow, http := agg.flush(time.Now())
	if len(netflow) != 1 {
		t.Fatalf("%d netflow points, want 1 (client ports collapse)", len(netflow))
	}
	nf := netflow[0]
	wantFields(t, nf, map[string]int64{"tcp_established": 100, "tcp_closed": 100, "retransmits": 0})
	if tag(nf, "direction") != "outgoing" || tag(nf, "server_port") != "8080" || fieldInt(nf, "rtt") <= 0 {
		t.Errorf("netflow %v %v", nf.Tags, nf.Fields)
	}
	counts := map[[2]string]int64{}
	var n404 int64
	for _, h := range http {
		switch {
		case fieldInt(h, "status_code") == 404 && len(fieldStr(h, "path")) > len("/missing/"):
			n404 += fieldInt(h, "count")
		default:
			counts[[2]string{fieldStr(h, "method"), fieldStr(h, "path")}] += fieldInt(h, "count")
		}
	}
	if counts[[2]string{"GET", "/page.html"}] != 50 || n404 != 50 || len(counts) != 1 {
		t.Errorf("httpflow: %v and %d 404s; want 50 GET /page.html (query stripped) and 50 404s", counts, n404)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("bytes not compared: tshark is not installed")
	}
	sent, recv, conns := tsharkFlow(t, recorded, "tcp", "10.239.1.1")
	if fieldInt(nf, "bytes_written") != sent || fieldInt(nf, "bytes_read") != recv || conns != 100 {
		t.Errorf("bytes written/read %d/%d; tshark: %d/%d in %d connections", fieldInt(nf, "bytes_written"), fieldInt(nf, "bytes_read"), sent, recv, conns)
	}
}

// BenchmarkMetricPath replays the recorded capture (Ethernet/IPv4/TCP)
// through decode + the metric path (flows, views, HTTP through l7/stream,
// a housekeeping tick per replay), and reports ns/packet, allocs/packet,
// packets/s and the ratio to decoding alone (dissect.Decoder, the path of
// dissect's BenchmarkDecodeCapture) measured in the same run.
func BenchmarkMetricPath(b *testing.B) {
	frames := readCapture(b, recorded)
	span := frames[len(frames)-1].ts.Sub(frames[0].ts) + time.Second
	dec := dissect.NewDecoder(layers.LayerTypeEthernet)
	var p dissect.Packet
	decodeNs, _ := perPacket(b, len(frames), func(i int) { _ = dec.Decode(frames[i%len(frames)].data, &p) })

	m, agg := testMeter("10.239.1.1")
	var pts []lp.Point
	ns, allocs := perPacket(b, len(frames), func(i int) {
		f := &frames[i%len(frames)]
		round := time.Duration(i / len(frames))
		_ = dec.Decode(f.data, &p)
		m.packet(&p, 2, len(p.Payload), f.ts.Add(round*span))
		if i%len(frames) == len(frames)-1 { // the once-a-second work, here once a replay
			m.tick(f.ts.Add(round*span + 2*time.Second))
			agg.add(m.take())
			if round%10 == 9 {
				pts, _ = agg.flush(f.ts)
			}
		}
	})
	_ = pts
	b.ReportMetric(ns, "ns/packet")
	b.ReportMetric(allocs, "allocs/packet")
	b.ReportMetric(1e9/ns, "packets/s")
	b.ReportMetric(decodeNs, "decode-ns/packet")
	b.ReportMetric(ns/decodeNs, "x-decode")
}

// perPacket runs fn b.N times after a warm-up of one replay and returns
// the time and allocations per call, so that two paths can be measured in
// one benchmark.
func perPacket(b *testing.B, warm int, fn func(i int)) (nsPerPkt, allocsPerPkt float64) {
	for i := range warm {
		fn(i)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := warm; i < warm+b.N; i++ {
		fn(i)
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return float64(elapsed.Nanoseconds()) / float64(b.N), float64(after.Mallocs-before.Mallocs) / float64(b.N)
}
