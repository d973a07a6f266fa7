package flowtags

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Listeners knows, per network namespace (by inode), which local ports
// accept traffic: TCP sockets in LISTEN and unconnected UDP sockets. It
// decides the direction of flows whose opener the kernel did not tell us
// (UDP, and TCP connections older than the collector).
type Listeners struct {
	procRoot string

	mu   sync.RWMutex
	byNS map[uint32]map[portKey]bool
}

type portKey struct {
	udp  bool
	port uint16
}

// NewListeners reads sockets under procRoot ("/proc", or the host's
// /rootfs/proc from a container). Call Refresh before use.
func NewListeners(procRoot string) *Listeners {
	return &Listeners{procRoot: procRoot, byNS: map[uint32]map[portKey]bool{}}
}

// Refresh rescans the sockets of every network namespace that has a process.
func (l *Listeners) Refresh() error {
	dirs, err := os.ReadDir(l.procRoot)
	if err != nil {
		return fmt.Errorf("listeners: %w", err)
	}
	byNS := map[uint32]map[portKey]bool{}
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join(l.procRoot, d.Name(), "ns", "net"), &st) != nil {
			continue // exited, or a kernel thread we may not inspect
		}
		ns := uint32(st.Ino)
		if _, seen := byNS[ns]; seen {
			continue
		}
		ports := map[portKey]bool{}
		for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
			if file, err := os.Open(filepath.Join(l.procRoot, d.Name(), "net", f)); err == nil {
				_ = parseSockets(file, strings.HasPrefix(f, "udp"), ports)
				file.Close()
			}
		}
		byNS[ns] = ports
	}
	l.mu.Lock()
	l.byNS = byNS
	l.mu.Unlock()
	return nil
}

// Listening reports whether port accepts traffic of transport ("tcp" or
// "udp") in network namespace netns.
func (l *Listeners) Listening(netns uint32, transport string, port uint16) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.byNS[netns][portKey{transport == "udp", port}]
}

// Set marks a port as listening (for tests and for callers that learn
// listeners from events).
func (l *Listeners) Set(netns uint32, transport string, port uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byNS[netns] == nil {
		l.byNS[netns] = map[portKey]bool{}
	}
	l.byNS[netns][portKey{transport == "udp", port}] = true
}

// Outgoing decides the direction of a flow whose opener is unknown: it is
// incoming when its local port listens, except that a UDP client socket
// (unconnected, on an ephemeral port) also "listens", so a UDP local port
// at or above ephemeralStart counts as a client port.
func (l *Listeners) Outgoing(netns uint32, transport string, localPort uint16, ephemeralStart uint16) bool {
	if !l.Listening(netns, transport, localPort) {
		return true
	}
	return transport == "udp" && ephemeralStart != 0 && localPort >= ephemeralStart
}

// parseSockets reads /proc/net/{tcp,udp}[6] lines:
// "sl local_address rem_address st ...", addresses as HEX:PORT.
func parseSockets(r io.Reader, udp bool, into map[portKey]bool) error {
	s := bufio.NewScanner(r)
	s.Scan() // header
	for line := 2; s.Scan(); line++ {
		f := strings.Fields(s.Text())
		if len(f) < 4 {
			return fmt.Errorf("line %d: %d columns, want at least 4", line, len(f))
		}
		local, remote, state := f[1], f[2], f[3]
		i := strings.LastIndexByte(local, ':')
		port, err := strconv.ParseUint(local[i+1:], 16, 16)
		if i < 0 || err != nil {
			return fmt.Errorf("line %d: bad local address %q", line, local)
		}
		listening := state == "0A" // TCP_LISTEN
		if udp {
			listening = state == "07" && strings.Trim(remote[:strings.IndexByte(remote+":", ':')], "0") == ""
		}
		if listening {
			into[portKey{udp, uint16(port)}] = true
		}
	}
	return s.Err()
}
