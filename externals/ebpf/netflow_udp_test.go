package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/net/ipv4"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/tests/testenv"
)

// pyThreadName runs the rest of a python script's traffic in a thread with
// its own comm, so process_name is checked to be the process's, not the
// thread's.
const pyThreadName = `
import ctypes, socket, threading
def named(name, fn):
    def run():
        ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
        fn()
    t = threading.Thread(target=run)
    t.start()
    t.join()
`

// TestNetflowUDP: a python client and a python server, both on
// unconnected sockets (sendto/recvfrom), each booked to the other's
// address: a recvfrom's sender is known only at the syscall's exit. The
// test process's own recvmmsg (x/net ReadBatch) is booked to its senders.
// With --udp-recv-peers=always the exits are there from the start; by
// default the cgroup recvmsg hooks name the senders, and no exit (each
// slows every syscall on the host) is ever attached.
func TestNetflowUDP(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"always", "on-demand"} {
		// One after the other: the recvmmsg server runs in this process,
		// so each mode's collector would count the other's too.
		t.Run(mode, func(t *testing.T) { testNetflowUDP(t, mode) })
	}
}

// recvExitLinks counts the recv exits pid has attached (program names are
// cut to 15 bytes by the kernel).
func recvExitLinks(t *testing.T, pid int) int {
	n := 0
	for _, id := range testenv.HeldBPF(t, pid).Links {
		l, err := link.NewFromID(id)
		if err != nil {
			continue
		}
		info, err := l.Info()
		l.Close()
		if err != nil {
			continue
		}
		if p, err := ebpf.NewProgramFromID(info.Program); err == nil {
			pi, _ := p.Info()
			p.Close()
			if pi != nil && strings.HasPrefix(pi.Name, "on_sys_exit_rec") {
				n++
			}
		}
	}
	return n
}

func testNetflowUDP(t *testing.T, mode string) {
	testenv.RequireBinaries(t, "python3")
	testenv.RequireRoot(t)
	if mode == "on-demand" { // no exit attached: the cgroup hooks name every sender
		testenv.RequireHook(t, features.Hook{Kind: features.KindCgroupSockAddr, Target: "recvmsg4"},
			features.Hook{Kind: features.KindCgroupSockAddr, Target: "recvmsg6"})
	}
	port := serverUDPPort(t)
	server := testenv.Start(t, "python3", "-c", pyThreadName+fmt.Sprintf(`
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", %d))
print("ready", flush=True)
def serve():
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(b"y" * 50, peer)
named("udp-srv-thread", serve)
`, port))
	testenv.Eventually(t, 5*time.Second, "udp server", func() bool { return strings.Contains(server.Output(), "ready") })
	proc, out, stop := collectorProc(t, "--udp-recv-peers="+mode)
	client := exec.Command("python3", "-c", pyThreadName+fmt.Sprintf(`
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
def talk():
    for i in range(3):
        s.sendto(b"x" * 100, ("127.0.0.1", %d))
        assert len(s.recvfrom(2048)[0]) == 50
named("udp-cli-thread", talk)
`, port))
	if b, err := client.CombinedOutput(); err != nil {
		t.Fatalf("udp client: %v\n%s", err, b)
	}
	mmsgPort := recvmmsgServer(t)
	// always: the three exits are attached (which also shows recvExitLinks
	// finds them); on demand: none, the cgroup hooks named every sender.
	want := map[string]int{"always": 3, "on-demand": 0}[mode]
	if n := recvExitLinks(t, proc.Pid()); n != want {
		t.Errorf("%s: %d recv exits attached, want %d", mode, n, want)
	}
	time.Sleep(2500 * time.Millisecond) // two flushes
	stop()
	pts := readPoints(t, out)

	sp, cpid, spid := strconv.Itoa(port), strconv.Itoa(client.Process.Pid), strconv.Itoa(server.Pid())
	for _, pid := range []string{cpid, spid} {
		for _, p := range pts {
			if p.name == "netflow" && p.tags["pid"] == pid && (p.tags["dst_ip"] == "0.0.0.0" || p.tags["dst_port"] == "0") {
				t.Errorf("pid %s: flow booked to the unknown peer: %v %v", pid, p.tags, p.fields)
			}
		}
	}
	cli := map[string]string{"pid": cpid, "transport": "udp"}
	_, all := sum(pts, "netflow", "bytes_written", cli)
	toServer := map[string]string{"pid": cpid, "transport": "udp", "process_name": "python3",
		"dst_ip": "127.0.0.1", "dst_port": sp, "direction": "outgoing"}
	w, n := sum(pts, "netflow", "bytes_written", toServer)
	r, _ := sum(pts, "netflow", "bytes_read", toServer)
	if n == 0 || n != all || w != 300 || r != 150 {
		t.Errorf("client: %d of its %d points to %s (process python3, outgoing): written %d read %d, want all, 300 and 150",
			n, all, "127.0.0.1:"+sp, w, r)
	}
	srv := map[string]string{"pid": spid, "transport": "udp", "process_name": "python3",
		"src_port": sp, "dst_ip": "127.0.0.1", "direction": "incoming"}
	w, n = sum(pts, "netflow", "bytes_written", srv)
	r, _ = sum(pts, "netflow", "bytes_read", srv)
	if n == 0 || r != 300 || w != 150 {
		t.Errorf("server: %d points (process python3, incoming, from 127.0.0.1): read %d written %d, want 300 and 150", n, r, w)
	}
	mm := map[string]string{"pid": strconv.Itoa(os.Getpid()), "transport": "udp", "src_port": strconv.Itoa(mmsgPort)}
	r, n = sum(pts, "netflow", "bytes_read", mm)
	r127, _ := sum(pts, "netflow", "bytes_read", map[string]string{"pid": mm["pid"], "transport": "udp",
		"src_port": mm["src_port"], "dst_ip": "127.0.0.1"})
	if n == 0 || r != 100 || r127 != 100 {
		t.Errorf("recvmmsg: %d points, %d bytes read, %d of them from 127.0.0.1, want 100 and 100", n, r, r127)

	}
}

// recvmmsgServer receives 70 and 30 bytes from two sockets with one
// recvmmsg (x/net's ReadBatch) and returns its port.
func recvmmsgServer(t *testing.T) int {
	t.Helper()
	port := serverUDPPort(t)
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{70, 30} {
		s, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		s.Write(make([]byte, n))
		s.Close()
	}
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, 4)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 256)}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for got := 0; got < 2; {
		k, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			t.Fatalf("recvmmsg: %v", err)
		}
		got += k
	}
	return port
}
