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
// bounds that delay and how long ctx's end goes unnoticed. Errors other
// than the deadline and a closed reader go to onErr.
func ReadRing(ctx context.Context, r *ringbuf.Reader, wait time.Duration, handle func([]byte), onErr func(error)) {
	var rec ringbuf.Record
	for ctx.Err() == nil {
		r.SetDeadline(time.Now().Add(wait))
		for {
			err := r.ReadInto(&rec)
			if err == nil {
				handle(rec.RawSample)
				continue
			}
			if errors.Is(err, ringbuf.ErrClosed) {
				return
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				onErr(err)
			}
			break
		}
	}
}
