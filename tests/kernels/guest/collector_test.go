package guest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// collectorBinary is the datakit-ebpf to test: $DATAKIT_EBPF, the copy on
// PATH inside a guest, or a fresh build from the working tree on the host.
func collectorBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DATAKIT_EBPF"); p != "" {
		return p
	}
	if os.Getenv("KERNEL_GUEST") != "" {
		p, err := exec.LookPath("datakit-ebpf")
		if err != nil {
			t.Fatalf("in guest %s: datakit-ebpf is not in the initramfs (KERNEL_FILES): %v", os.Getenv("KERNEL_GUEST"), err)
		}
		return p
	}
	return testenv.Binary(t, "datakit-ebpf")
}

// kernelName says which kernel a failure happened on.
func kernelName() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// collector runs the real binary with --output FILE --interval 1s, waits
// for its first flush, and returns a function that reads the points so
// far and one that stops it and checks its BPF objects are gone.
type collector struct {
	t    *testing.T
	out  string
	proc *testenv.Proc
	held testenv.BPFObjects
}

func startCollector(t *testing.T, flags ...string) *collector {
	t.Helper()
	testenv.RequireRoot(t)
	c := &collector{t: t, out: filepath.Join(t.TempDir(), "out.lp")}
	args := append([]string{"run", "--output", c.out, "--interval", "1s", "--ephemeral-port", "32768"}, flags...)
	c.proc = testenv.Start(t, collectorBinary(t), args...)
	// Loading and verifying the programs takes seconds under TCG.
	testenv.Eventually(t, 90*time.Second, "the collector's first flush", func() bool {
		b, _ := os.ReadFile(c.out)
		return strings.Contains(string(b), "datakit_ebpf,") || c.proc.Exited()
	})
	if c.proc.Exited() {
		t.Fatalf("kernel %s: collector exited: %v\n%s", kernelName(), c.proc.Wait(), c.proc.Output())
	}
	c.held = testenv.HeldBPF(t, c.proc.Pid())
	if len(c.held.Progs) == 0 {
		t.Fatalf("kernel %s: the running collector holds no BPF program", kernelName())
	}
	return c
}

func (c *collector) points() []testenv.LPPoint {
	b, err := os.ReadFile(c.out)
	if err != nil {
		c.t.Fatal(err)
	}
	// The file may end inside a line being written: decode whole lines only.
	if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	return testenv.DecodeLP(c.t, b)
}

// waitFor polls until cond holds on the points (or timeout) and reports
// whether it did; the caller asserts, so a miss names what is missing.
func (c *collector) waitFor(timeout time.Duration, cond func([]testenv.LPPoint) bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond(c.points()) {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

// stop ends the collector and returns its final points.
func (c *collector) stop() []testenv.LPPoint {
	c.t.Helper()
	c.proc.Stop(10 * time.Second)
	if err := c.proc.Wait(); err != nil {
		c.t.Errorf("kernel %s: collector: %v\n%s", kernelName(), err, c.proc.Output())
	}
	testenv.AssertBPFReleased(c.t, c.held)
	return c.points()
}

// sum adds field over the points of measurement name that carry every tag.
func sum(pts []testenv.LPPoint, name, field string, tags map[string]string) (total int64, n int) {
next:
	for _, p := range pts {
		if p.Name != name {
			continue
		}
		for k, v := range tags {
			if p.Tags[k] != v {
				continue next
			}
		}
		if _, ok := p.Fields[field]; ok {
			total += int64(p.Number(field))
			n++
		}
	}
	return total, n
}

// describe lists the points of measurement name whose tag key has value,
// for failure messages that show what the collector did report instead.
func describe(pts []testenv.LPPoint, name, key, value string) string {
	var b strings.Builder
	for _, p := range pts {
		if p.Name == name && p.Tags[key] == value {
			fmt.Fprintf(&b, "\n  dir=%s pid=%s process=%s src=%s:%s dst=%s:%s %v", p.Tags["direction"], p.Tags["pid"],
				p.Tags["process_name"], p.Tags["src_ip"], p.Tags["src_port"], p.Tags["dst_ip"], p.Tags["dst_port"], p.Fields)
		}
	}
	if b.Len() == 0 {
		return " (none)"
	}
	return b.String()
}

// self is this test process as the collector should name it.
func self(t *testing.T) (pid, comm string) {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(os.Getpid()), strings.TrimSpace(string(b))
}

// serverAddr returns an address of its own on loopback (127.x.y.z, from
// the pid, so the concurrent tests of other packages, which use
// 127.0.0.1, never connect to it) and a port below the ephemeral range (so
// the collector reports it, not `*`) free for both TCP and UDP there.
func serverAddr(t *testing.T) (ip string, port int) {
	t.Helper()
	pid := os.Getpid()
	ip = fmt.Sprintf("127.%d.%d.%d", 1+pid%250, (pid/250)%256, 1+(pid/64000)%250)
	for port = 20000 + pid%5000; port < 32000; port++ {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp4", addr)
		l.Close()
		if err == nil {
			u.Close()
			return ip, port
		}
	}
	t.Fatalf("no free port below 32000 on %s", ip)
	return "", 0
}
