package loader

import (
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"
)

// RingSync lets a consumer wait until a ReadRingFlushed loop has handled
// every record that was in the ring when it asked. Records are submitted
// without a wakeup and an idle reader looks only every idleWait, so a
// record the kernel wrote before an event the consumer acts on (a
// process's exec, before its connection's close) may not be handled yet
// when the consumer acts; the consumer syncs instead of guessing.
type RingSync struct {
	r    *ringbuf.Reader
	one  sync.Mutex // one Wait at a time: flush requests coalesce in the kernel's eventfd
	mu   sync.Mutex
	wait chan struct{} // closed by Flushed; nil when nobody waits
	done chan struct{} // closed by Stopped
	stop sync.Once
}

// NewRingSync syncs with the loop reading r.
func NewRingSync(r *ringbuf.Reader) *RingSync {
	return &RingSync{r: r, done: make(chan struct{})}
}

// Flushed is the loop's flushed callback.
func (s *RingSync) Flushed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wait != nil {
		close(s.wait)
		s.wait = nil
	}
}

// Stopped says the loop has ended: Wait returns false from then on.
func (s *RingSync) Stopped() { s.stop.Do(func() { close(s.done) }) }

// Wait wakes the loop and returns true once it has handled every record
// in the ring at the time of the call; false when the loop has ended or
// took longer than timeout (a late flush may then end the next Wait
// early, which is what waiting not at all would give).
func (s *RingSync) Wait(timeout time.Duration) bool {
	s.one.Lock()
	defer s.one.Unlock()
	ch := make(chan struct{})
	s.mu.Lock()
	s.wait = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		s.wait = nil
		s.mu.Unlock()
	}
	if err := s.r.Flush(); err != nil {
		forget()
		return false
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-s.done:
	case <-timer.C:
	}
	forget()
	return false
}
