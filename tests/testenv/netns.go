package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// Netns is a network namespace created by a test (with `ip netns`), deleted
// at cleanup together with its links.
type Netns struct {
	Name string
}

var netnsSeq atomic.Uint32

// NewNetns creates a fresh network namespace with loopback up. It needs
// root and iproute2 and skips (saying why) without them.
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	RequireRoot(t)
	RequireBinaries(t, "ip")
	name := fmt.Sprintf("tnet%d-%d", netnsPID(), netnsSeq.Add(1))
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	ns := &Netns{Name: name}
	ns.Run(t, "ip", "link", "set", "lo", "up")
	return ns
}

// Exec returns a command that runs name inside the namespace (for
// StartCmd, or to set Dir/Env before running it).
func (n *Netns) Exec(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Run runs a command in the namespace and fails the test when it fails.
func (n *Netns) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := n.Exec(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("in netns %s: %s %s: %v\n%s", n.Name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Veth is a veth pair: Host stays in the host namespace, Peer lives in NS.
type Veth struct {
	Host, Peer         string // interface names
	HostAddr, PeerAddr string // addresses without prefix length
	NS                 *Netns
}

// NewVeth links the host to ns with a veth pair on a /30 from subnet
// index idx (10.231.idx.0/30: .1 on the host, .2 in ns), both ends up.
// The pair is deleted at cleanup (deleting one end deletes both).
func NewVeth(t testing.TB, ns *Netns, idx int) *Veth {
	t.Helper()
	v := &Veth{
		Host:     fmt.Sprintf("vh%d-%d", netnsPID()%10000, idx),
		Peer:     fmt.Sprintf("vp%d-%d", netnsPID()%10000, idx),
		HostAddr: fmt.Sprintf("10.231.%d.1", idx),
		PeerAddr: fmt.Sprintf("10.231.%d.2", idx),
		NS:       ns,
	}
	Run(t, "ip", "link", "add", v.Host, "type", "veth", "peer", "name", v.Peer)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", v.Host).Run() })
	Run(t, "ip", "link", "set", v.Peer, "netns", ns.Name)
	Run(t, "ip", "addr", "add", v.HostAddr+"/30", "dev", v.Host)
	Run(t, "ip", "link", "set", v.Host, "up")
	ns.Run(t, "ip", "addr", "add", v.PeerAddr+"/30", "dev", v.Peer)
	ns.Run(t, "ip", "link", "set", v.Peer, "up")
	return v
}

func netnsPID() int { return pid }

var pid = os.Getpid()
