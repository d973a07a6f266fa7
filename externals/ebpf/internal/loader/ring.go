package loader

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/cilium/ebpf/ringbuf"
)

// ReadRing hands each record of r to handle, whose bytes are valid only
// during the call, until ctx is done or r is closed. The programs batch
// their wakeups (wakeup_flags in netobs.h), so a record may wait for the
// next one: every wait the reader also looks without being woken, which
// bounds that delay and how long ctx's end goes unnoticed. While nothing
// comes, the wait doubles up to idleWait: an idle collector then wakes a
// few times a second instead of fifty (each wakeup of a goroutine blocked
// in epoll_wait also rouses the Go runtime's sysmon), and the first
// records after a quiet spell wait at most that long. Errors other than
// the deadline and a closed reader go to onErr.
func ReadRing(ctx context.Context, r *ringbuf.Reader, wait time.Duration, handle func([]byte), onErr func(error)) {
	ReadRingFlushed(ctx, r, wait, handle, onErr, nil)
}

// ReadRingFlushed is ReadRing for a consumer that cannot wait for the
// next look: after r.Flush(), the reader wakes at once, hands every record
// already in the ring to handle, then calls flushed (see
// RingSync).
func ReadRingFlushed(ctx context.Context, r *ringbuf.Reader, wait time.Duration, handle func([]byte), onErr func(error), flushed func()) {
	var rec ringbuf.Record
	next := wait
	for ctx.Err() == nil {
		r.SetDeadline(time.Now().Add(next))
		got := false
		for {
			err := r.ReadInto(&rec)
			if err == nil {
				handle(rec.RawSample)
				got = true
				continue
			}
			if errors.Is(err, ringbuf.ErrClosed) {
				return
			}
			if errors.Is(err, ringbuf.ErrFlushed) { // returned after the records that were there
				if flushed != nil {
					flushed()
				}
				continue
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				onErr(err)
			}
			break
		}
		next = backoff(next, wait, got)
	}
}

// idleWait is the longest a reader sleeps between looks when idle.
const idleWait = 250 * time.Millisecond

// backoff is the next wait: wait again after records, else double, up to
// idleWait (or wait, if that is longer).
func backoff(cur, wait time.Duration, got bool) time.Duration {
	if got {
		return wait
	}
	return min(2*cur, max(wait, idleWait))
}
