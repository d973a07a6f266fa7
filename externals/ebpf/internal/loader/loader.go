// Package loader prepares the host for BPF (memlock, tracefs, debugfs,
// bpffs) and attaches programs with errors that say what failed and why.
package loader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Mount is one pseudo-filesystem the collector needs.
type Mount struct {
	FSType, Path string
	Why          string
}

// Mounts are checked, and mounted when missing, by Prepare.
var Mounts = []Mount{
	{"tracefs", "/sys/kernel/tracing", "tracepoint ids and formats"},
	{"debugfs", "/sys/kernel/debug", "tracing on kernels that expose tracefs only under debugfs"},
	{"bpf", "/sys/fs/bpf", "pinning (used by later plugins)"},
}

// memlockRemoved is set once Prepare has removed RLIMIT_MEMLOCK (or found
// that the kernel does not use it), so LoadError knows it is not the cause.
var memlockRemoved atomic.Bool

// Prepare raises RLIMIT_MEMLOCK (kernels before 5.11 account BPF memory
// there) and mounts what is missing. It returns notes for the log.
func Prepare() (notes []string, err error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise memlock rlimit: %w", err)
	}
	memlockRemoved.Store(true)
	for _, m := range Mounts {
		note, err := ensureMounted(m)
		if err != nil {
			return notes, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	return notes, nil
}

func ensureMounted(m Mount) (string, error) {
	mounted, err := isMounted(m.FSType, m.Path)
	if err != nil || mounted {
		return "", err
	}
	if err := unix.Mount(m.FSType, m.Path, m.FSType, 0, ""); err != nil {
		if m.FSType == "debugfs" || m.FSType == "bpf" {
			return fmt.Sprintf("could not mount %s at %s (%v); needed for %s", m.FSType, m.Path, err, m.Why), nil
		}
		return "", fmt.Errorf("mount %s at %s (needed for %s): %w", m.FSType, m.Path, m.Why, err)
	}
	return fmt.Sprintf("mounted %s at %s", m.FSType, m.Path), nil
}

func isMounted(fstype, path string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false, fmt.Errorf("read /proc/self/mounts: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == path && f[2] == fstype {
			return true, nil
		}
	}
	return false, nil
}

// Tracepoint attaches prog to group/name; the error names the program, the
// tracepoint and the likely cause.
func Tracepoint(prog *ebpf.Program, group, name string) (link.Link, error) {
	l, err := link.Tracepoint(group, name, prog, nil)
	if err != nil {
		why := "attach failed"
		switch {
		case errors.Is(err, os.ErrNotExist):
			why = "the kernel has no such tracepoint"
		case errors.Is(err, os.ErrPermission):
			why = "permission denied (needs root or CAP_PERFMON)"
		}
		return nil, fmt.Errorf("attach %s to tracepoint %s/%s: %s: %w", progName(prog), group, name, why, err)
	}
	return l, nil
}

func progName(p *ebpf.Program) string {
	if info, err := p.Info(); err == nil && info.Name != "" {
		return info.Name
	}
	return "program"
}

// Stack holds what a plugin opened (links, readers, objects) and closes it
// in reverse order, so a link never outlives its program or map.
type Stack struct{ closers []io.Closer }

// Push adds c to the stack.
func (s *Stack) Push(c io.Closer) { s.closers = append(s.closers, c) }

// Close closes everything in reverse order and returns every error.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Tracing attaches a tp_btf, fentry or fexit program (its target was
// resolved when it was loaded); what names the hook in the error.
func Tracing(prog *ebpf.Program, what string) (link.Link, error) {
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return nil, fmt.Errorf("attach %s to %s: %w", progName(prog), what, err)
	}
	return l, nil
}

// EnableRunStats turns on per-program run time and count (the
// kernel.bpf_stats_enabled sysctl) for as long as the returned closer is
// open, so the collector can report its own in-kernel overhead.
func EnableRunStats() (io.Closer, error) {
	return ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
}
