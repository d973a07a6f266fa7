package testenv

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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

// AssertBPFReleased fails for each program or link of o still loaded.
func AssertBPFReleased(t testing.TB, o BPFObjects) {
	t.Helper()
	for _, id := range o.Progs {
		p, err := ebpf.NewProgramFromID(id)
		if err == nil {
			info, _ := p.Info()
			p.Close()
			name := ""
			if info != nil {
				name = info.Name
			}
			t.Errorf("program %d %q is still loaded after its process exited", id, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("program %d: %v", id, err)
		}
	}
	for _, id := range o.Links {
		l, err := link.NewFromID(id)
		if err == nil {
			l.Close()
			t.Errorf("link %d is still present after its process exited", id)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("link %d: %v", id, err)
		}
	}
}
