package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// BPFObjects are the ids of the BPF programs and links a process holds.
type BPFObjects struct {
	Progs []ebpf.ProgramID
	Links []link.ID
}

// HeldBPF lists the programs and links that pid holds open, read from
// /proc/PID/fdinfo. Tests record them while a collector runs and check
// after it exits that exactly those are gone, which stays true when other
// tests load the same programs at the same time.
func HeldBPF(t testing.TB, pid int) BPFObjects {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fdinfo")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var o BPFObjects
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			key, val, ok := strings.Cut(s.Text(), ":")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSpace(val), 10, 32)
			if err != nil {
				continue
			}
			switch key {
			case "prog_id":
				o.Progs = append(o.Progs, ebpf.ProgramID(n))
			case "link_id":
				o.Links = append(o.Links, link.ID(n))
			}
		}
		f.Close()
	}
	return o
}

// AssertBPFReleased fails for each program or link of o still loaded a
// few seconds after its process exited: the kernel frees a program only
// once its last reference is gone, and detaching a raw tracepoint defers
// that to an RCU grace period, which a busy VM may take a while to reach.
func AssertBPFReleased(t testing.TB, o BPFObjects) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := stillLoaded(o)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, what := range left {
				t.Errorf("%s is still loaded 5 s after its process exited", what)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stillLoaded names the programs and links of o that are still there.
func stillLoaded(o BPFObjects) (left []string) {
	for _, id := range o.Progs {
		p, err := ebpf.NewProgramFromID(id)
		if err == nil {
			name := ""
			if info, _ := p.Info(); info != nil {
				name = info.Name
			}
			p.Close()
			left = append(left, fmt.Sprintf("program %d %q", id, name))
		} else if !errors.Is(err, os.ErrNotExist) {
			left = append(left, fmt.Sprintf("program %d (%v)", id, err))
		}
	}
	for _, id := range o.Links {
		l, err := link.NewFromID(id)
		if err == nil {
			l.Close()
			left = append(left, fmt.Sprintf("link %d", id))
		} else if !errors.Is(err, os.ErrNotExist) {
			left = append(left, fmt.Sprintf("link %d (%v)", id, err))
		}
	}
	return left
}
