package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/spool"
)

// queue is one output's disk queue and the single worker that delivers it,
// in order.
type queue struct {
	name      string
	out       outputs.Output
	q         *spool.Queue
	log       *slog.Logger
	maxPoints int
	maxBytes  int
	retryMin  time.Duration
	retryMax  time.Duration

	ctx     context.Context
	cancel  context.CancelFunc
	started bool
	done    chan struct{}

	ackMu sync.Mutex
	acked chan struct{} // closed and replaced after every Ack, for Flush
}

func newQueue(name string, out outputs.Output, dir string, l Limits, log *slog.Logger) (*queue, error) {
	w := &queue{name: name, out: out, log: log.With("output", name), done: make(chan struct{}),
		maxPoints: l.MaxBatchPoints, maxBytes: l.MaxBatchBytes, retryMin: l.RetryMin, retryMax: l.RetryMax}
	if b, ok := out.(outputs.Batching); ok {
		if pts, bytes := b.BatchLimits(); pts > 0 && bytes > 0 {
			w.maxPoints, w.maxBytes = pts, bytes
		}
	}
	if b, ok := out.(outputs.Backoff); ok {
		if lo, hi := b.RetryBackoff(); lo > 0 && hi >= lo {
			w.retryMin, w.retryMax = lo, hi
		}
	}
	interval := l.FsyncInterval
	if l.FsyncAlways {
		interval = 0
	}
	var err error
	w.q, err = spool.Open(dir, spool.Options{
		MaxBytes: l.SpoolMaxBytes, SegmentBytes: l.SpoolSegmentBytes, SyncInterval: interval,
		Log: w.log, OnDrop: w.countDropped,
	})
	if err != nil {
		return nil, err
	}
	if st := w.q.Stats(); st.CorruptBytes > 0 {
		spoolCorrupt.WithLabelValues(name).Add(float64(st.CorruptBytes))
	}
	if st := w.q.Stats(); st.PendingRecords > 0 {
		w.log.Info("replaying spooled batches", "batches", st.PendingRecords, "bytes", st.PendingBytes)
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.acked = make(chan struct{})
	w.updateGauges()
	return w, nil
}

func (w *queue) countDropped(data []byte) {
	if r, err := parseRecord(data); err == nil {
		pointsDropped.WithLabelValues(w.name, r.category, "spool_full").Add(float64(r.points))
	}
}

// append queues one record, the concatenation of parts.
func (w *queue) append(category string, points int, parts [][]byte) error {
	if err := w.q.Append(parts...); err != nil {
		return err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	pointsSpooled.WithLabelValues(w.name, category).Add(float64(points))
	bytesSpooled.WithLabelValues(w.name, category).Add(float64(n))
	w.updateGauges()
	return nil
}

func (w *queue) updateGauges() {
	st := w.q.Stats()
	queueBytes.WithLabelValues(w.name).Set(float64(st.PendingBytes))
	queueBatches.WithLabelValues(w.name).Set(float64(st.PendingRecords))
}

// waitEmpty waits until the queue holds nothing or ctx ends.
func (w *queue) waitEmpty(ctx context.Context) error {
	for {
		w.ackMu.Lock()
		acked := w.acked
		w.ackMu.Unlock()
		if w.q.Stats().PendingRecords == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-acked:
		case <-time.After(100 * time.Millisecond): // records dropped by the bound are not acked
		}
	}
}

// start runs the worker.
func (w *queue) start() {
	w.started = true
	go w.run()
}

// stop cancels the worker, waits for it and closes the queue and the output.
func (w *queue) stop() error {
	w.cancel()
	if w.started {
		<-w.done
	}
	return errors.Join(w.q.Close(), w.out.Close())
}

// run delivers the queue until stop.
func (w *queue) run() {
	defer close(w.done)
	for w.ctx.Err() == nil {
		recs, err := w.q.Read(w.maxBytes)
		if err != nil {
			w.log.Error("reading the spool failed", "err", err)
			w.sleep(w.retryMax)
			continue
		}
		if len(recs) == 0 {
			select {
			case <-w.ctx.Done():
			case <-w.q.Ready():
			}
			continue
		}
		b := w.takeBatch(recs)
		if !w.deliver(b) {
			return
		}
		if err := w.q.Ack(b.end); err != nil && w.ctx.Err() == nil {
			w.log.Error("acknowledging the spool failed", "err", err)
		}
		w.updateGauges()
		w.ackMu.Lock()
		close(w.acked)
		w.acked = make(chan struct{})
		w.ackMu.Unlock()
	}
}

// batch is a run of consecutive queued records of one category.
type batch struct {
	category string
	records  []record
	ends     []spool.Pos
	end      spool.Pos
	points   int
	bytes    int
}

// lp is the batch's line protocol: memory of its own, which the output may
// keep (see outputs.Output).
func (b *batch) lp() []byte {
	if len(b.records) == 1 {
		return b.records[0].lp
	}
	buf := make([]byte, 0, b.bytes)
	for _, r := range b.records {
		buf = append(buf, r.lp...)
	}
	return buf
}

// takeBatch merges the leading records of one category within the output's limits.
func (w *queue) takeBatch(recs []spool.Record) *batch {
	b := &batch{}
	for _, sr := range recs {
		r, err := parseRecord(sr.Data)
		if err != nil { // cannot happen short of a bug: our own writes passed the CRC
			w.log.Error("skipping a malformed spool record", "err", err)
			if len(b.records) == 0 {
				b.end = sr.End
				return b
			}
			break
		}
		if len(b.records) > 0 && (r.category != b.category || b.points+r.points > w.maxPoints || b.bytes+len(r.lp) > w.maxBytes) {
			break
		}
		b.category = r.category
		b.records = append(b.records, r)
		b.ends = append(b.ends, sr.End)
		b.end = sr.End
		b.points += r.points
		b.bytes += len(r.lp)
	}
	return b
}

// deliver writes b, retrying with backoff until it is delivered, rejected
// for good, or thrown away by the spool bound. It returns false on stop.
func (w *queue) deliver(b *batch) bool {
	if len(b.records) == 0 {
		return true
	}
	lp := b.lp()
	for attempt := 0; ; attempt++ {
		// Before every attempt, the first included: Read works without the
		// queue's lock, so the bound may have dropped (and counted) these
		// records while they were being read.
		if w.q.Dropped(b.end) {
			return true
		}
		start := time.Now()
		err := w.out.Write(w.ctx, b.category, lp)
		writeSeconds.WithLabelValues(w.name).Observe(time.Since(start).Seconds())
		if err == nil {
			pointsWritten.WithLabelValues(w.name, b.category).Add(float64(b.points))
			bytesWritten.WithLabelValues(w.name, b.category).Add(float64(len(lp)))
			for _, r := range b.records {
				deliveryLag.WithLabelValues(w.name).Observe(time.Since(r.enqueued).Seconds())
			}
			if attempt > 0 {
				w.log.Info("output delivers again", "after_attempts", attempt+1)
			}
			return true
		}
		if w.ctx.Err() != nil {
			return false
		}
		if errors.Is(err, outputs.ErrPermanent) {
			if len(b.records) > 1 { // find the culprits: resend the submitted batches one by one
				for i, r := range b.records {
					one := &batch{category: b.category, records: []record{r}, ends: b.ends[i : i+1], end: b.ends[i], points: r.points, bytes: len(r.lp)}
					if !w.deliver(one) {
						return false
					}
				}
				return true
			}
			pointsDropped.WithLabelValues(w.name, b.category, "rejected").Add(float64(b.points))
			w.log.Error("output rejected a batch; not retrying", "category", b.category, "points", b.points, "err", err)
			return true
		}
		pointsRetried.WithLabelValues(w.name, b.category).Add(float64(b.points))
		if attempt == 0 || attempt%10 == 0 {
			w.log.Warn("output write failed; retrying with backoff", "category", b.category, "points", b.points, "attempt", attempt+1, "err", err)
		}
		if !w.sleep(w.backoff(attempt)) {
			return false
		}
	}
}

// backoff is exponential from retryMin to retryMax with ±25% jitter.
func (w *queue) backoff(attempt int) time.Duration {
	d := w.retryMin << min(attempt, 30)
	if d <= 0 || d > w.retryMax {
		d = w.retryMax
	}
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

func (w *queue) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
