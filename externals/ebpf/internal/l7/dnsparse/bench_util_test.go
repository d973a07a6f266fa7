package dnsparse

import (
	"testing"
	"time"
)

// perOp runs f b.N times and returns the mean ns per call, so that a
// baseline is timed inside the same benchmark run as the code under test.
func perOp(b *testing.B, f func()) float64 {
	start := time.Now()
	for i := 0; i < b.N; i++ {
		f()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(b.N)
}
