package dissect

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func writePcap(t *testing.T, link layers.LinkType, frames ...[]byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "c.pcap")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, link); err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(fr), Length: len(fr)}, fr); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

func runTool(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := RunTool(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestToolPrintsEachPacket(t *testing.T) {
	fr := sampleFrames(t)
	name := writePcap(t, layers.LinkTypeEthernet, fr["syn"], fr["icmp4"], fr["vxlan4789"], []byte{1, 2})
	code, out, errs := runTool(name)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN\n" +
		"10.0.0.1 -> 10.0.0.2 EchoRequest\n" +
		"10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK, PSH vxlan vni 42 (192.168.0.1:51000 -> 192.168.0.2:4789)\n" +
		"#4: cannot decode: Ethernet packet too small\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if code, out, _ := runTool("-c", "1", name); code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("-c 1: exit %d, %q", code, out)
	}
}

func TestToolRawIP(t *testing.T) {
	fr := sampleFrames(t)
	name := writePcap(t, layers.LinkTypeRaw, fr["udp6"][14:], fr["tcp4"][14:])
	code, out, errs := runTool(name)
	want := "[fd00::1]:5353 -> [ff02::fb]:5353 udp\n10.0.0.1:40000 -> 10.0.0.2:80 tcp ACK, PSH\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d (%s): got %q want %q", code, errs, out, want)
	}
}

func TestToolErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pcap")
	if code, _, errs := runTool(missing); code != 1 || !strings.Contains(errs, "nope.pcap") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
	junk := filepath.Join(t.TempDir(), "junk.pcap")
	os.WriteFile(junk, []byte("this is not a capture file"), 0o644)
	if code, _, errs := runTool(junk); code != 1 || !strings.Contains(errs, "junk.pcap: not a pcap") {
		t.Errorf("junk file: exit %d, %q", code, errs)
	}
	if code, _, errs := runTool(); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("no args: exit %d, %q", code, errs)
	}
	if code, _, _ := runTool("-c", "x", junk); code != 2 {
		t.Errorf("bad -c: exit %d", code)
	}
	unsupported := writePcap(t, layers.LinkTypeIEEE802_11)
	if code, _, errs := runTool(unsupported); code != 1 || !strings.Contains(errs, "not supported") {
		t.Errorf("802.11: exit %d, %q", code, errs)
	}
}

// TestToolAgreesWithTshark checks the addresses and ports of every packet
// of the sample capture against tshark's reading of the same file.
func TestToolAgreesWithTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("skipped: tshark not installed (tests/setup.sh installs it)")
	}
	fr := sampleFrames(t)
	var names []string
	for n := range fr {
		names = append(names, n)
	}
	sort.Strings(names)
	var frames [][]byte
	for _, n := range names {
		if n != "arp" && !strings.HasPrefix(n, "icmp") {
			frames = append(frames, fr[n])
		}
	}
	name := writePcap(t, layers.LinkTypeEthernet, frames...)
	// The innermost of each field; -d makes tshark unwrap 8472 as VXLAN too.
	out, err := exec.Command("tshark", "-r", name, "-d", "udp.port==8472,vxlan", "-T", "fields", "-E", "occurrence=l",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "udp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	_, mine, _ := runTool(name)
	tsLines := strings.Split(strings.TrimSpace(string(out)), "\n")
	myLines := strings.Split(strings.TrimSpace(mine), "\n")
	if len(tsLines) != len(myLines) {
		t.Fatalf("tshark %d packets, dissect %d", len(tsLines), len(myLines))
	}
	for i := range tsLines {
		f := strings.Split(tsLines[i], "\t")
		src, dst := f[0]+f[1], f[4]+f[5]
		sport, dport := f[2], f[6]
		if f[7] != "" && f[6] == "" || strings.Contains(myLines[i], " udp") {
			sport, dport = f[3], f[7]
		}
		want := addrPort(src, sport) + " -> " + addrPort(dst, dport)
		if !strings.HasPrefix(myLines[i], want) {
			t.Errorf("packet %d: dissect %q, tshark %q", i+1, myLines[i], want)
		}
	}
}

func addrPort(ip, port string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}
