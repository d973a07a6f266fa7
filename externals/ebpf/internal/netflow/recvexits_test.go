package netflow

import (
	"testing"
	"time"
)

// The exits are wanted from the first unconnected receive until the count
// has stood still for the idle time, and again at the next receive.
func TestRecvExitDemand(t *testing.T) {
	var d demand
	t0 := time.Unix(1000, 0)
	idle := time.Minute
	for _, step := range []struct {
		after time.Duration
		count uint64
		want  bool
	}{
		{0, 0, false},                 // nothing received yet
		{time.Second, 0, false},       // still nothing
		{2 * time.Second, 1, true},    // a first receive
		{30 * time.Second, 1, true},   // quiet, but not for long
		{62 * time.Second, 1, false},  // idle for a minute
		{90 * time.Second, 1, false},  // still idle
		{91 * time.Second, 5, true},   // receiving again
		{150 * time.Second, 5, true},  // 59 s after
		{151 * time.Second, 5, false}, // 60 s after
	} {
		if got := d.wanted(step.count, t0.Add(step.after), idle); got != step.want {
			t.Errorf("at +%v with count %d: wanted %v, want %v", step.after, step.count, got, step.want)
		}
	}
}
