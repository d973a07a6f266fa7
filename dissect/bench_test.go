package dissect

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// httpCapture is a recorded capture of n HTTP/1.1 exchanges over
// Ethernet/IPv4/TCP, each a complete connection as a client's interface
// sees it: handshake, request, a 4 KiB response in three segments, ACKs
// and the close. It is written as a pcap file and read back, so the
// benchmark decodes exactly what a capture file holds.
func httpCapture(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var file bytes.Buffer
	w := pcapgo.NewWriter(&file)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	req := "GET /api/v1/items?page=2 HTTP/1.1\r\nHost: shop.internal\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
	body := strings.Repeat("x", 1448)
	ts := time.Unix(1_700_000_000, 0)
	for i := range n {
		cport := uint16(40000 + i)
		cseq, sseq := uint32(1000*i+1), uint32(7_000_000+1000*i)
		seg := func(fromClient bool, seq, ack uint32, syn, fin bool, payload string) {
			src, dst, sp, dp := "10.0.0.1", "10.0.0.2", cport, uint16(80)
			if !fromClient {
				src, dst, sp, dp = dst, src, dp, sp
			}
			t := tcpSeg(sp, dp, seq, ack, syn, !syn || !fromClient, payload != "")
			t.FIN = fin
			f := serialize(tb, eth(layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolTCP), t, gopacket.Payload(payload))
			ts = ts.Add(50 * time.Microsecond)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(f), Length: len(f)}, f); err != nil {
				tb.Fatal(err)
			}
		}
		seg(true, cseq, 0, true, false, "")
		seg(false, sseq, cseq+1, true, false, "")
		seg(true, cseq+1, sseq+1, false, false, "")
		seg(true, cseq+1, sseq+1, false, false, req)
		resp := "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n"
		seg(false, sseq+1, cseq+1+uint32(len(req)), false, false, resp+body[:1448-len(resp)])
		seg(false, sseq+1449, cseq+1+uint32(len(req)), false, false, body)
		seg(true, cseq+1+uint32(len(req)), sseq+2897, false, false, "")
		seg(false, sseq+2897, cseq+1+uint32(len(req)), false, false, body[:1200])
		seg(true, cseq+1+uint32(len(req)), sseq+4097, false, true, "")
		seg(false, sseq+4097, cseq+2+uint32(len(req)), false, true, "")
		seg(true, cseq+2+uint32(len(req)), sseq+4098, false, false, "")
	}
	r, err := pcapgo.NewReader(&file)
	if err != nil {
		tb.Fatal(err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		frames = append(frames, data)
	}
	return frames
}

var (
	captureOnce sync.Once
	capture     [][]byte
)

func benchCapture(b *testing.B) [][]byte {
	captureOnce.Do(func() { capture = httpCapture(b, 100) })
	return capture
}

// perPacket decodes b.N frames of the capture (round robin), timing it
// itself so that two decoders can be measured in one benchmark run.
func perPacket(b *testing.B, frames [][]byte, decode func([]byte)) (nsPerPkt, allocsPerPkt float64) {
	for _, f := range frames { // warm up (option slices grow once)
		decode(f)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		decode(frames[i%len(frames)])
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return float64(elapsed.Nanoseconds()) / float64(b.N), float64(after.Mallocs-before.Mallocs) / float64(b.N)
}

// baseline is gopacket's lazy decoding of the same packets, the usual way
// to read a capture with gopacket, asked for the same facts.
func baseline(f []byte) {
	pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	if t, ok := pkt.TransportLayer().(*layers.TCP); ok {
		_ = t.Seq
	}
}

// BenchmarkDecodeCapture decodes the recorded HTTP capture (Ethernet/IPv4/
// TCP) with Decoder and reports ns/packet, allocs/packet, packets/s and the
// ratio to gopacket.NewPacket's lazy decoding measured in the same run.
// Goal: at most 150 ns and 0 allocations per packet.
func BenchmarkDecodeCapture(b *testing.B) {
	frames := benchCapture(b)
	baseNs, _ := perPacket(b, frames, baseline)
	d := NewDecoder(layers.LayerTypeEthernet)
	var p Packet
	ns, allocs := perPacket(b, frames, func(f []byte) { _ = d.Decode(f, &p) })
	b.ReportMetric(ns, "ns/packet")
	b.ReportMetric(allocs, "allocs/packet")
	b.ReportMetric(1e9/ns, "packets/s")
	b.ReportMetric(baseNs, "baseline-ns/packet")
	b.ReportMetric(ns/baseNs, "x-baseline")
}

// BenchmarkSummary is the cost of one summary line into a reused buffer.
func BenchmarkSummary(b *testing.B) {
	frames := benchCapture(b)
	d := NewDecoder(layers.LayerTypeEthernet)
	ps := make([]Packet, len(frames))
	for i, f := range frames {
		if err := d.Decode(f, &ps[i]); err != nil {
			b.Fatal(err)
		}
	}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = AppendSummary(buf[:0], &ps[i%len(ps)])
	}
	if len(buf) == 0 {
		b.Fatal("empty summary")
	}
}
