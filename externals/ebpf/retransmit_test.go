package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// TestNetflowRetransmits forces loss on a veth into a test namespace: the
// server listens on the host end, the client (curl) runs in the namespace,
// and the namespace drops ~30% of what arrives from the server, so the
// server retransmits.
func TestNetflowRetransmits(t *testing.T) {
	testenv.RequireBinaries(t, "python3", "curl", "tc")
	ns := testenv.NewNetns(t)
	veth := testenv.NewVeth(t, ns, 7)
	how := lossy(t, ns, veth)
	t.Logf("loss by %s", how)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big"), make([]byte, 2<<20), 0o644)
	srv := exec.Command("python3", "-m", "http.server", "8080", "--bind", veth.HostAddr)
	srv.Dir = dir
	testenv.StartCmd(t, srv)
	addr := veth.HostAddr + ":8080"
	testenv.WaitPort(t, addr, 10*time.Second)
	out, stop := collector(t)
	for i := 0; i < 1; i++ { // one 2 MiB download retransmits plenty
		if b, err := ns.Exec("curl", "-s", "-o", "/dev/null", "--max-time", "60", "http://"+addr+"/big").CombinedOutput(); err != nil {
			t.Fatalf("curl through lossy link: %v %s", err, b)
		}
	}
	time.Sleep(2500 * time.Millisecond)
	stop()
	pts := readPoints(t, out)
	retrans, n := sum(pts, "netflow", "retransmits", map[string]string{"src_ip": veth.HostAddr, "src_port": "8080", "direction": "incoming"})
	if n == 0 || retrans == 0 {
		t.Fatalf("server in netns: %d points, %d retransmits, want > 0 with %s", n, retrans, how)
	}
}

// lossy drops about 30% of what arrives on dev after it was sent (a drop
// in the sender's own output path is not a retransmission): netem on the
// host end when the kernel has it, else an nftables numgen rule on the
// namespace's input (this kernel has no sch_netem).
func lossy(t *testing.T, ns *testenv.Netns, v *testenv.Veth) string {
	if exec.Command("tc", "qdisc", "add", "dev", v.Host, "root", "netem", "loss", "30%").Run() == nil {
		return "netem loss 30%"
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipped: no sch_netem in this kernel and no nft to drop packets instead")
	}
	ns.Run(t, "nft", "add table inet lossy")
	ns.Run(t, "nft", "add chain inet lossy in { type filter hook input priority 0 ; }")
	ns.Run(t, "nft", "add rule inet lossy in iifname "+v.Peer+" tcp sport 8080 numgen random mod 10 < 3 drop")
	return "nftables numgen random drop 30% (sch_netem is missing)"
}

func TestFeaturesCommand(t *testing.T) {
	testenv.RequireRoot(t)
	out, err := exec.Command(testenv.Binary(t, "datakit-ebpf"), "features").CombinedOutput()
	if err != nil {
		t.Fatalf("features: %v\n%s", err, out)
	}
	// tp_btf where the collector's probe says it loads, else the
	// tracepoints (a host that refuses tp_btf, or features.RefuseEnv).
	var via []string
	for _, h := range []features.Hook{{Kind: features.KindTPBTF, Target: "inet_sock_set_state"}, {Kind: features.KindTPBTF, Target: "sock_send_length"}} {
		if st := h.Probe(); st.On {
			via = append(via, "via "+h.String())
		} else {
			via = append(via, fmt.Sprintf("via tracepoint sock/%s (%s: %s", h.Target, h, st.Reason))
		}
	}
	for _, want := range append(via, "kprobes (never required)", "ebpf-bash", "syscalls/sys_exit_recvmmsg") {
		if !strings.Contains(string(out), want) {
			t.Errorf("features output lacks %q:\n%s", want, out)
		}
	}
	// This kernel refuses fentry with EPERM: the reason must say so, not
	// repeat cilium/ebpf's memlock guess.
	if strings.Contains(string(out), "MEMLOCK") {
		t.Errorf("features output blames MEMLOCK:\n%s", out)
	}
}
