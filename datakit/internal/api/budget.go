package api

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"golang.org/x/sync/semaphore"
)

// DefaultMaxInflightBytes is the budget of request memory when
// Config.MaxInflightBytes is zero.
const DefaultMaxInflightBytes = 256 << 20

// budget bounds the bytes all requests hold at once: body chunks, the
// assembled (and inflated) body, the encoded batch and decoded points. A
// request claims room before it allocates, as its bytes arrive, so no
// declared Content-Length reserves anything, and the number of bodies in
// flight does not matter, only their bytes.
type budget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration // busy_wait: how long one claim waits for room
	used atomic.Int64

	burst    atomic.Bool  // used went past a quarter of size since the last return
	returned atomic.Int64 // unix nanoseconds of the last return
}

// returnAfterBurst gives the memory of a burst back to the system once
// the budget drains: the GC would keep the heap it grew to until its next
// cycle, which an idle supervisor may not run for minutes. It runs when
// the budget was more than a quarter full and falls under a sixteenth, at
// most once a second; one forced GC of a small live heap costs little.
func (b *budget) returnAfterBurst(used int64) {
	switch {
	case used > b.size/4:
		b.burst.Store(true)
	case used < b.size/16 && b.burst.Load():
		now := time.Now().UnixNano()
		last := b.returned.Load()
		if now-last > int64(time.Second) && b.returned.CompareAndSwap(last, now) {
			b.burst.Store(false)
			go debug.FreeOSMemory()
		}
	}
}

// inUse is what requests hold now.
func (b *budget) inUse() int64 { return b.used.Load() }

// errNoRoom: the budget had no room within busy_wait. The request is
// answered 429 and gives back what it held. errNeverFits: the request
// needs more than the whole budget, which no retry changes (413).
var (
	errNoRoom    = errors.New("no room in max_inflight_bytes")
	errNeverFits = errors.New("needs more than max_inflight_bytes")
)

var (
	inflightBytes = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "datakit_http_inflight_bytes",
		Help: "Request memory held now (bodies, inflated bodies, encoded batches, points), under http_api.max_inflight_bytes.",
	})
	noRoomTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "datakit_http_inflight_busy_total",
		Help: "Requests answered 429 because max_inflight_bytes had no room within busy_wait.",
	})
)

func newBudget(size int64, wait time.Duration) *budget {
	return &budget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// claim is one request's share of the budget. It is used by one goroutine.
type claim struct {
	b    *budget
	ctx  context.Context
	held int64
	// waited, when set, is told how long grow waited for room, so that
	// the body's deadline can leave that time out.
	waited func(time.Duration)
}

func (b *budget) claim(ctx context.Context) *claim { return &claim{b: b, ctx: ctx} }

// grow claims n more bytes, waiting at most busy_wait for them.
func (c *claim) grow(n int) error {
	if n <= 0 {
		return nil
	}
	if int64(n) > c.b.size-c.held {
		return errNeverFits
	}
	if !c.b.sem.TryAcquire(int64(n)) {
		ctx, cancel := context.WithTimeout(c.ctx, c.b.wait)
		start := time.Now()
		err := c.b.sem.Acquire(ctx, int64(n))
		cancel()
		if c.waited != nil {
			c.waited(time.Since(start))
		}
		if err != nil {
			if c.ctx.Err() != nil {
				return c.ctx.Err()
			}
			noRoomTotal.Inc()
			return errNoRoom
		}
	}
	c.held += int64(n)
	c.b.returnAfterBurst(c.b.used.Add(int64(n)))
	inflightBytes.Add(float64(n))
	return nil
}

// shrink gives n bytes back.
func (c *claim) shrink(n int) {
	if n = min(n, int(c.held)); n <= 0 {
		return
	}
	c.held -= int64(n)
	c.b.returnAfterBurst(c.b.used.Add(-int64(n)))
	c.b.sem.Release(int64(n))
	inflightBytes.Add(-float64(n))
}

// release gives everything back; the request is done with its buffers.
func (c *claim) release() { c.shrink(int(c.held)) }
