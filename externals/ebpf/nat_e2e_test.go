package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// Two network namespaces, each joined to the host by a veth pair: in one
// an iptables DNAT rule, in the other an nft DNAT rule sends a virtual
// address to the HTTP server on the host. curl through each rule gives
// netflow points whose dst_nat_ip/dst_nat_port are the translated address;
// curl straight to the server carries N/A. httpflow's points carry the same
// translation.
func TestConntrackDNAT(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "curl", "python3", "iptables", "nft", "ip")
	port := testenv.FreePort(t)
	srv := testenv.Start(t, "python3", "-m", "http.server", "--bind", "0.0.0.0", strconv.Itoa(port))
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	_ = srv

	nsIpt, nsNft := testenv.NewNetns(t), testenv.NewNetns(t)
	vIpt, vNft := testenv.NewVeth(t, nsIpt, 61), testenv.NewVeth(t, nsNft, 62)
	sp := strconv.Itoa(port)
	nsIpt.Run(t, "ip", "route", "add", "default", "via", vIpt.HostAddr)
	nsIpt.Run(t, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "10.99.61.1", "-p", "tcp", "--dport", "80",
		"-j", "DNAT", "--to-destination", vIpt.HostAddr+":"+sp)
	nsNft.Run(t, "ip", "route", "add", "default", "via", vNft.HostAddr)
	nsNft.Run(t, "nft", fmt.Sprintf(`add table ip netobs; add chain ip netobs out { type nat hook output priority -100; };
		add rule ip netobs out ip daddr 10.99.62.1 tcp dport 80 dnat to %s:%s`, vNft.HostAddr, sp))

	bin := testenv.Binary(t, "datakit-ebpf")
	out := filepath.Join(t.TempDir(), "out.lp")
	p := testenv.Start(t, bin, "run", "--output", out, "--interval", "1s", "--ephemeral-port", "32768",
		"--enabled", "ebpf-net,ebpf-conntrack", "--log-level", "debug")
	for _, ns := range []*testenv.Netns{nsIpt, nsNft} {
		var st syscall.Stat_t
		if err := syscall.Stat("/run/netns/"+ns.Name, &st); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`watching" service=ebpf netns=%d `, st.Ino)
		testenv.Eventually(t, 15*time.Second, "conntrack listener in "+ns.Name, func() bool {
			return strings.Contains(p.Output(), want) || p.Exited()
		})
	}
	// ebpf-net starts after ebpf-conntrack: connections made before its
	// programs are attached would not be seen.
	testenv.Eventually(t, 15*time.Second, "ebpf-net attached", func() bool {
		return strings.Contains(p.Output(), `msg="plugin started" service=ebpf plugin=ebpf-net`) || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("collector exited: %v\n%s", p.Wait(), p.Output())
	}
	for _, c := range []struct {
		ns  *testenv.Netns
		url string
	}{{nsIpt, "http://10.99.61.1/"}, {nsNft, "http://10.99.62.1/"}, {nsIpt, "http://" + vIpt.HostAddr + ":" + sp + "/"}} {
		if b, err := c.ns.Exec("curl", "-s", "-o", "/dev/null", "--max-time", "5", c.url).CombinedOutput(); err != nil {
			t.Fatalf("curl %s in %s: %v\n%s", c.url, c.ns.Name, err, b)
		}
	}
	time.Sleep(2500 * time.Millisecond)
	p.Stop(10 * time.Second)
	if err := p.Wait(); err != nil {
		t.Fatalf("collector: %v\n%s", err, p.Output())
	}
	pts := readPoints(t, out)
	for _, c := range []struct {
		what, dst, nat string
	}{
		{"iptables DNAT", "10.99.61.1:80", vIpt.HostAddr + ":" + sp},
		{"nft DNAT", "10.99.62.1:80", vNft.HostAddr + ":" + sp},
		{"no NAT", vIpt.HostAddr + ":" + sp, "N/A:N/A"},
	} {
		dst, nat := strings.Split(c.dst, ":"), strings.Split(c.nat, ":")
		tags := map[string]string{"process_name": "curl", "direction": "outgoing", "dst_ip": dst[0], "dst_port": dst[1]}
		if est, n := sum(pts, "netflow", "tcp_established", tags); n == 0 || est != 1 {
			t.Errorf("%s: %d points, %d connections to %s, want one", c.what, n, est, c.dst)
			continue
		}
		tags["dst_nat_ip"], tags["dst_nat_port"] = nat[0], nat[1]
		if _, n := sum(pts, "netflow", "tcp_established", tags); n == 0 {
			t.Errorf("%s: no point with dst_nat %s; got %v", c.what, c.nat, tagsOf(pts, "dst_ip", dst[0]))
		}
		// The same translation reaches httpflow, through the one enrichment stage.
		if count, _ := sum(pts, "httpflow", "count", tags); count != 1 {
			t.Errorf("%s: %d httpflow requests with dst_nat %s, want 1; got %v", c.what, count, c.nat, tagsOf(pts, "dst_ip", dst[0]))
		}
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "plugin=ebpf-conntrack") {
		t.Error("no self-metrics point of ebpf-conntrack")
	}
}
