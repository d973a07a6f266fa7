package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/tests/testenv"
)

// extendedResolver answers every query on a loopback UDP port with the
// rcode its first label names (badvers.test: 16, badcookie.test: 23),
// split as RFC 6891 says: the low 4 bits in the header, the rest in the
// OPT record.
func extendedResolver(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			rcode := map[string]dnsmessage.RCode{"badvers.test.": 16, "badcookie.test.": 23}[strings.ToLower(q.Name.String())]
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RCode: rcode & 0xf})
			var opt dnsmessage.ResourceHeader
			if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAdditionals() != nil ||
				opt.SetEDNS0(1232, rcode, false) != nil || b.OPTResource(opt, dnsmessage.OPTResource{}) != nil {
				continue
			}
			if out, err := b.Finish(); err == nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestDNSFlowExtendedRCode: dig reads BADVERS and BADCOOKIE from a
// resolver that puts their upper bits in the OPT record, and dnsflow
// reports the same rcodes (16 and 23), not the header's 0 (success) and 7.
func TestDNSFlowExtendedRCode(t *testing.T) {
	testenv.RequireBinaries(t, "dig")
	out, stop := collector(t)
	port := extendedResolver(t)
	pid, st := dig(t, port, "+nobadcookie", "badvers.test", "badcookie.test")
	if strings.Join(st, " ") != "BADVERS BADCOOKIE" {
		t.Fatalf("dig statuses %q", st)
	}
	rcodes := func(pts []point) map[string]int64 {
		got := map[string]int64{}
		for _, p := range pts {
			if p.name == "dnsflow" && p.tags["pid"] == pid && p.tags["direction"] == "outgoing" {
				got[p.tags["dst_domain"]] = p.fields["rcode"]
			}
		}
		return got
	}
	testenv.Eventually(t, 20*time.Second, "dnsflow of dig's two queries", func() bool { return len(rcodes(readPoints(t, out))) == 2 })
	stop()
	if got := rcodes(readPoints(t, out)); got["badvers.test"] != 16 || got["badcookie.test"] != 23 || len(got) != 2 {
		t.Errorf("rcodes %v, want badvers.test 16, badcookie.test 23", got)
	}
}
