package dissect

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FuzzDecode feeds arbitrary frames to every decoder. Slices must stay
// inside the frame, and a plain TCP packet must agree with gopacket's own
// eager decoding.
func FuzzDecode(f *testing.F) {
	for _, fr := range sampleFrames(f) {
		f.Add(fr)
	}
	f.Add(tcp4Frame(f, "HTTP/1.1 200 OK\r\n\r\n")[:40])
	decoders := []*Decoder{NewDecoder(layers.LayerTypeEthernet), NewDecoder(layers.LayerTypeLinuxSLL), NewDecoder(layers.LayerTypeIPv4), NewDecoder(layers.LayerTypeIPv6)}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for i, d := range decoders {
			var p Packet
			if err := d.Decode(frame, &p); err != nil {
				continue
			}
			if len(p.Payload) > 0 && !within(frame, p.Payload) {
				t.Fatalf("decoder %d: payload outside the frame", i)
			}
			_ = AppendSummary(nil, &p)
			if i != 0 || p.Proto != ProtoTCP || p.VXLAN {
				continue
			}
			pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
			tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !ok {
				t.Fatalf("we decoded TCP, gopacket did not: %v", pkt)
			}
			if tcp.Seq != p.Seq || uint16(tcp.SrcPort) != p.SrcPort || !bytes.Equal(tcp.Payload, p.Payload) {
				t.Fatalf("TCP differs: gopacket seq %d port %d, ours %+v", tcp.Seq, tcp.SrcPort, p)
			}
		}
	})
}

func within(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	for i := 0; i+len(inner) <= len(outer); i++ {
		if &outer[i] == &inner[0] {
			return true
		}
	}
	return false
}

// FuzzDissectFile runs the tool's file path on arbitrary file contents: it
// must report an error or print, never panic.
func FuzzDissectFile(f *testing.F) {
	var pcap bytes.Buffer
	w := pcapgo.NewWriter(&pcap)
	_ = w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	for _, fr := range sampleFrames(f) {
		_ = w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(fr), Length: len(fr)}, fr)
	}
	f.Add(pcap.Bytes())
	f.Add(pcap.Bytes()[:30])
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		name := filepath.Join(dir, "in.pcap")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = dissectFile(name, 1000, io.Discard)
	})
}
