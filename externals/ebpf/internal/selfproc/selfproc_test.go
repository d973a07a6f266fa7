package selfproc

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A busy loop on one core for a window shows as about 1000 millicores, an
// idle window as about 0, and RSS follows a large allocation: the sampler
// measures the current window, not the process's lifetime.
func TestSamplerMeasuresTheWindow(t *testing.T) {
	s := NewSampler()
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
	}
	busy, err := s.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	idle, _ := s.Sample(time.Now())
	t.Logf("busy %d millicores, idle %d", busy.Millicores, idle.Millicores)
	// The machine is shared: a busy loop may get less than a core.
	if busy.Millicores < 250 || busy.Millicores > 1500 || busy.Millicores < 3*idle.Millicores {
		t.Errorf("busy window: %d millicores, want about 1000", busy.Millicores)
	}
	if idle.Millicores > 150 {
		t.Errorf("idle window: %d millicores, want about 0 (a lifetime average would be ~500)", idle.Millicores)
	}

	before := idle.RSSBytes
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = 1
	}
	after, _ := s.Sample(time.Now())
	if grew := after.RSSBytes - before; grew < 60<<20 {
		t.Errorf("RSS grew %d bytes after touching 64 MiB", grew)
	}
	if vm := vmRSS(t); abs(after.RSSBytes-vm) > 8<<20 {
		t.Errorf("RSS %d, /proc/self/status VmRSS %d", after.RSSBytes, vm)
	}
	_ = big[len(big)-1]
}

func vmRSS(t *testing.T) int64 {
	f, _ := os.Open("/proc/self/status")
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
