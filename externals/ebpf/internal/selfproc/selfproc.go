// Package selfproc measures the collector's own CPU and memory as current
// rates over each reporting interval (never lifetime averages), for the
// datakit_ebpf point tagged plugin=collector.
package selfproc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Usage is one sample: CPU over the window since the previous sample, in
// thousandths of a core, and the resident set now.
type Usage struct {
	Millicores int64
	RSSBytes   int64
}

// Sampler keeps the previous sample's CPU time. Not safe for concurrent use.
type Sampler struct {
	lastCPU  time.Duration
	lastWall time.Time
}

// NewSampler starts the first window now.
func NewSampler() *Sampler {
	cpu, _ := cpuTime()
	return &Sampler{lastCPU: cpu, lastWall: time.Now()}
}

// Sample returns the usage since the previous call and starts a new window.
func (s *Sampler) Sample(now time.Time) (Usage, error) {
	cpu, err := cpuTime()
	if err != nil {
		return Usage{}, err
	}
	rss, err := rssBytes()
	if err != nil {
		return Usage{}, err
	}
	u := Usage{RSSBytes: rss}
	if wall := now.Sub(s.lastWall); wall > 0 {
		u.Millicores = int64(cpu-s.lastCPU) * 1000 / int64(wall)
	}
	s.lastCPU, s.lastWall = cpu, now
	return u, nil
}

// cpuTime is user plus system time of every thread of this process
// (getrusage: exact, no clock-tick conversion as /proc/self/stat needs).
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// rssBytes is the resident set from /proc/self/statm (its second field, in
// pages), as the kernel's OOM and cgroup accounting see the process.
func rssBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/self/statm: %q", b)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/statm: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}
