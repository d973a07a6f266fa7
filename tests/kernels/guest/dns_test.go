package guest

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/tests/testenv"
)

// serveDNS answers A queries on an unconnected UDP socket (like a real
// resolver): ok.test. is 127.0.0.1, every other name NXDOMAIN.
func serveDNS(t *testing.T, ip string, port int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, peer, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if err := q.Unpack(buf[:n]); err != nil || len(q.Questions) != 1 {
				continue
			}
			r := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true, Authoritative: true}, Questions: q.Questions}
			if q.Questions[0].Name.String() == "ok.test." {
				r.Answers = []dnsmessage.Resource{{
					Header: dnsmessage.ResourceHeader{Name: q.Questions[0].Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
					Body:   &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}},
				}}
			} else {
				r.RCode = dnsmessage.RCodeNameError
			}
			b, _ := r.Pack()
			pc.WriteTo(b, peer)
		}
	}()
}

// query asks name over a connected UDP socket and returns the rcode and
// the bytes sent and received.
func query(t *testing.T, ip string, port int, id uint16, name string) (rcode dnsmessage.RCode, sent, recvd int64) {
	t.Helper()
	c, err := net.Dial("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: true}, Questions: []dnsmessage.Question{
		{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
	b, _ := q.Pack()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	var r dnsmessage.Message
	if err := r.Unpack(buf[:n]); err != nil || r.ID != id {
		t.Fatalf("query %s: bad answer (id %d, %v)", name, r.ID, err)
	}
	return r.RCode, int64(len(b)), int64(n)
}

// TestDNSFlowLoopback sends 3 answered and 2 NXDOMAIN queries from this
// process to its own UDP server and checks dnsflow on both ends (this pid
// and comm, count per name and rcode) and the UDP netflow of the client (bytes
// equal to the datagrams' sizes).
func TestDNSFlowLoopback(t *testing.T) {
	c := startCollector(t)
	pid, comm := self(t)
	ip, port := serverAddr(t)
	serveDNS(t, ip, port)

	names := []string{"ok.test.", "nx.test.", "ok.test.", "nx.test.", "ok.test."}
	var sent, recvd int64
	for i, name := range names {
		want := dnsmessage.RCodeSuccess
		if name == "nx.test." {
			want = dnsmessage.RCodeNameError
		}
		got, s, r := query(t, ip, port, uint16(100+i), name)
		if got != want {
			t.Fatalf("query %s: rcode %v, want %v", name, got, want)
		}
		sent, recvd = sent+s, recvd+r
	}

	sp := strconv.Itoa(port)
	want := map[string]int64{"outgoing ok.test 0": 3, "outgoing nx.test 3": 2, "incoming ok.test 0": 3, "incoming nx.test 3": 2}
	count := func(pts []testenv.LPPoint) map[string]int64 {
		got := map[string]int64{}
		for _, p := range pts {
			if p.Name == "dnsflow" && p.Tags["server_port"] == sp {
				got[fmt.Sprintf("%s %s %d", p.Tags["direction"], p.Tags["dst_domain"], int64(p.Number("rcode")))] += int64(p.Number("count"))
			}
		}
		return got
	}
	c.waitFor(15*time.Second, func(pts []testenv.LPPoint) bool {
		got := count(pts)
		for k, v := range want {
			if got[k] < v {
				return false
			}
		}
		return true
	})
	pts := c.stop()

	t.Run("dnsflow", func(t *testing.T) {
		got := count(pts)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("kernel %s: %q counted %d, want %d (all: %v)", kernelName(), k, got[k], v, got)
			}
		}
		for _, p := range pts {
			if p.Name == "dnsflow" && p.Tags["server_port"] == sp && (p.Tags["pid"] != pid || p.Tags["process_name"] != comm) {
				t.Errorf("kernel %s: dnsflow %s from pid %s (%s), want %s (%s)", kernelName(), p.Tags["direction"], p.Tags["pid"], p.Tags["process_name"], pid, comm)
			}
		}
	})
	t.Run("netflow/udp", func(t *testing.T) {
		tags := map[string]string{"pid": pid, "process_name": comm, "direction": "outgoing", "transport": "udp", "dst_port": sp}
		w, np := sum(pts, "netflow", "bytes_written", tags)
		r, _ := sum(pts, "netflow", "bytes_read", tags)
		if np == 0 || w != sent || r != recvd {
			t.Errorf("kernel %s: UDP client flow %v: %d points, written %d read %d, want %d and %d; the points of port %s:%s",
				kernelName(), tags, np, w, r, sent, recvd, sp, describe(pts, "netflow", "server_port", sp))
		}
	})
}
