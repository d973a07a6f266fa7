package netlog

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// netns is one network namespace: a file that refers to it (a process's
// ns/net or an `ip netns` bind mount) and its identity.
type netns struct {
	path     string
	dev, ino uint64
	host     bool
}

type nsID struct{ dev, ino uint64 }

func (n netns) id() nsID { return nsID{n.dev, n.ino} }

// tag is the netns tag value, NS(<device id>:<inode number>).
func (n netns) tag() string { return fmt.Sprintf("NS(%d:%d)", n.dev, n.ino) }

func statNetns(path string) (netns, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return netns{}, err
	}
	return netns{path: path, dev: st.Dev, ino: st.Ino}, nil
}

// discoverNetns lists every network namespace that a process of procRoot
// is in or that `ip netns` (runDir, usually /run/netns) names, each once.
// The host's is the one of procRoot/1, or ours when that is out of reach. When only is not empty, just those
// files are used: tests and debugging point the plugin at one namespace.
func discoverNetns(procRoot, runDir string, only []string) ([]netns, error) {
	host, err := statNetns(filepath.Join(procRoot, "1", "ns", "net"))
	if err != nil {
		// pid 1 may be out of reach (a sandbox); then the host network is
		// the one the collector runs in.
		if host, err = statNetns("/proc/self/ns/net"); err != nil {
			return nil, fmt.Errorf("host network namespace: %w", err)
		}
	}
	var candidates []string
	if len(only) > 0 {
		candidates = only
	} else {
		candidates = append(candidates, host.path)
		if ents, err := os.ReadDir(runDir); err == nil {
			for _, e := range ents {
				candidates = append(candidates, filepath.Join(runDir, e.Name()))
			}
		}
		ents, err := os.ReadDir(procRoot)
		if err != nil {
			return nil, fmt.Errorf("list processes: %w", err)
		}
		for _, e := range ents {
			if e.Name()[0] >= '1' && e.Name()[0] <= '9' {
				candidates = append(candidates, filepath.Join(procRoot, e.Name(), "ns", "net"))
			}
		}
	}
	seen := map[nsID]bool{}
	var out []netns
	for _, p := range candidates {
		n, err := statNetns(p)
		if err != nil {
			if len(only) > 0 {
				return nil, fmt.Errorf("network namespace %s: %w", p, err)
			}
			continue // the process exited, or a stale /run/netns entry
		}
		if seen[n.id()] {
			continue
		}
		seen[n.id()] = true
		n.host = n.id() == host.id()
		out = append(out, n)
	}
	return out, nil
}

// inNetns runs fn on an OS thread that has entered the namespace at path.
// The thread is never unlocked, so Go destroys it when fn returns rather
// than reuse a thread left in another namespace. Sockets fn creates stay
// in that namespace for their life.
func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// link is what the tags say about one interface.
type link struct {
	name     string
	mac      string
	loopback bool
	virtual  bool
}

// readLinks lists the interfaces of the namespace at path. In the host
// namespace an interface is virtual when sysfs shows no backing device;
// in any other namespace every interface is taken as virtual (veth, vxlan,
// macvlan, ...), since sysfs there shows the host's devices.
func readLinks(ns netns) (map[int]link, error) {
	var ifs []net.Interface
	err := inNetns(ns.path, func() (err error) {
		ifs, err = net.Interfaces()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("interfaces of %s: %w", ns.path, err)
	}
	out := make(map[int]link, len(ifs))
	for _, i := range ifs {
		l := link{name: i.Name, mac: i.HardwareAddr.String(), loopback: i.Flags&net.FlagLoopback != 0}
		l.virtual = true
		if ns.host && !l.loopback && !strings.ContainsAny(i.Name, "/.") {
			_, err := os.Stat(filepath.Join("/sys/class/net", i.Name, "device"))
			l.virtual = err != nil && os.IsNotExist(err)
		}
		if l.mac == "" {
			l.mac = "00:00:00:00:00:00"
		}
		out[i.Index] = l
	}
	return out, nil
}
