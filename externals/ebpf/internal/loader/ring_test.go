package loader

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	cur := 20 * ms
	var seen []time.Duration
	for range 6 {
		cur = backoff(cur, 20*ms, false)
		seen = append(seen, cur)
	}
	want := []time.Duration{40 * ms, 80 * ms, 160 * ms, idleWait, idleWait, idleWait}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("idle waits %v, want %v", seen, want)
		}
	}
	if got := backoff(idleWait, 20*ms, true); got != 20*ms {
		t.Errorf("after records: %v, want the base wait", got)
	}
	if got := backoff(time.Second, time.Second, false); got != time.Second {
		t.Errorf("a base wait above idleWait is kept: %v", got)
	}
}
