package netflow

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/features"
)

// The key of a dumped socket and the key of the kernel's tuple for it are
// one, whatever the family (a dual-stack socket's v4-mapped addresses).
func TestDiagKeyOfKernelTuple(t *testing.T) {
	for _, c := range []struct {
		family        uint16
		local, remote string
	}{
		{2, "10.0.0.1:40000", "10.0.0.2:80"},
		{10, "[fd00::1]:40000", "[fd00::2]:443"},
		{10, "127.0.0.1:40000", "127.0.0.1:8080"}, // AF_INET6 socket, v4-mapped
	} {
		k := diagKey{7, netip.MustParseAddrPort(c.local), netip.MustParseAddrPort(c.remote)}
		tu := tupleOf(k, c.family)
		if got := keyOf(&netflowConn{Tuple: tu}); got != k {
			t.Errorf("family %d %s -> %s: key of the tuple %+v, want %+v", c.family, c.local, c.remote, got, k)
		}
		if c.family == 10 && k.local.Addr().Is4() && tu.Saddr[10] != 0xff {
			t.Errorf("a dual-stack socket's tuple is v4-mapped, as read_tuple reads it: %v", tu.Saddr)
		}
	}
}

func TestDiagSkipMirrorsTheKernel(t *testing.T) {
	d := &sockDiag{cfg: Config{ExcludeLoopback: true, IPv6Disabled: true}}
	for _, c := range []struct {
		family        uint16
		local, remote string
		skip          bool
	}{
		{2, "127.0.0.1:1", "127.0.0.1:2", true},
		{2, "10.0.0.1:1", "10.0.0.2:2", false},
		{10, "[fd00::1]:1", "[fd00::2]:2", true}, // IPv6 disabled
		{10, "10.0.0.1:1", "10.0.0.2:2", false},  // v4-mapped: IPv4 for the option
		{10, "[::1]:1", "[::1]:2", true},
	} {
		k := diagKey{1, netip.MustParseAddrPort(c.local), netip.MustParseAddrPort(c.remote)}
		if got := d.skip(k, c.family); got != c.skip {
			t.Errorf("%d %s %s: skip %v, want %v", c.family, c.local, c.remote, got, c.skip)
		}
	}
}

func requireSockDiag(t testing.TB) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (a netlink socket in this namespace by its /proc path)")
	}
	if st := (features.Hook{Kind: features.KindSockDiag, Target: "tcp"}).Probe(); !st.On {
		t.Skipf("socket diagnostics unavailable: %s", st.Reason)
	}
}

func selfNetns(t testing.TB) uint32 {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return uint32(st.Ino)
}

// A dump gives a live connection's payload bytes exactly on both ends,
// and after the peer's FIN (CLOSE_WAIT) does not count the FIN.
func TestSockDiagCountsPayload(t *testing.T) {
	requireSockDiag(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := client.Write(make([]byte, 1234)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(bufio.NewReader(server), make([]byte, 1234)); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Write(make([]byte, 99)); err != nil {
		t.Fatal(err)
	}
	ns := selfNetns(t)
	d := newSockDiag(Config{ProcRoot: "/proc", HostRoot: "/"}, nil)
	defer d.Close()
	ck := diagKey{ns, netip.MustParseAddrPort(client.LocalAddr().String()), netip.MustParseAddrPort(client.RemoteAddr().String())}
	sk := diagKey{ns, ck.remote, ck.local}
	check := func(when string, closing bool) {
		t.Helper()
		all := map[diagKey]diagSock{}
		if err := d.dump(ns, all); err != nil {
			t.Fatal(err)
		}
		s, ok := all[sk]
		if !ok {
			t.Fatalf("%s: the server's socket is not in the dump", when)
		}
		if s.stats.BytesRead != 1234 || s.stats.BytesWritten != 99 {
			t.Errorf("%s: server read %d written %d, want 1234 and 99", when, s.stats.BytesRead, s.stats.BytesWritten)
		}
		if c, ok := all[ck]; !closing && (!ok || c.stats.BytesRead != 99 || c.stats.BytesWritten != 1234) {
			t.Errorf("%s: client %+v (found %v), want read 99 written 1234", when, c.stats, ok)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		all := map[diagKey]diagSock{}
		_ = d.dump(ns, all)
		if s := all[ck]; s.stats.BytesRead == 99 || time.Now().After(deadline) {
			break // the client's read side has the server's bytes
		}
		time.Sleep(10 * time.Millisecond)
	}
	check("open", false)
	if _, err := io.ReadFull(client, make([]byte, 99)); err != nil { // unread bytes would make the close a reset
		t.Fatal(err)
	}
	client.Close() // the server's socket gets the FIN: CLOSE_WAIT
	time.Sleep(50 * time.Millisecond)
	check("after the client's FIN", true)
}

// BenchmarkSockDiagFlush is the socket-diagnostics way's cost at a flush
// with 1000 live loopback connections (2000 sockets), against reading
// /proc/net/tcp for the same sockets in the same run (the cost the
// listening-ports read was cut for).
func BenchmarkSockDiagFlush(b *testing.B) {
	requireSockDiag(b)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for range 1000 {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
	}
	ns := selfNetns(b)
	d := newSockDiag(Config{ProcRoot: "/proc", HostRoot: "/"}, nil)
	defer d.Close()
	b.Run("sock_diag", func(b *testing.B) {
		for b.Loop() {
			all := map[diagKey]diagSock{}
			if err := d.dump(ns, all); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/socket")
	})
	b.Run("proc_net_tcp", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Open("/proc/net/tcp")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				n++
			}
			f.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/socket")
	})
}

// A namespace no connection lives in any more loses its socket, which
// would otherwise keep it alive.
func TestSockDiagForgetsNamespaces(t *testing.T) {
	requireSockDiag(t)
	d := newSockDiag(Config{ProcRoot: "/proc", HostRoot: "/"}, nil)
	defer d.Close()
	ns := selfNetns(t)
	if err := d.dump(ns, map[diagKey]diagSock{}); err != nil {
		t.Fatal(err)
	}
	d.forget(map[uint32]bool{ns: true})
	if len(d.handles) != 1 {
		t.Fatalf("kept %d sockets, want this namespace's", len(d.handles))
	}
	d.forget(nil)
	if len(d.handles) != 0 {
		t.Errorf("kept %d sockets for namespaces nothing lives in", len(d.handles))
	}
}
