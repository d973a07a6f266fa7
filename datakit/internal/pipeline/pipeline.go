package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/point"
)

// Limits bound the pipeline's disk and memory use. Zero values get defaults.
type Limits struct {
	// SpoolMaxBytes bounds each output's disk queue; past it the oldest
	// batches are dropped and counted. Default 1 GiB.
	SpoolMaxBytes int64 `toml:"spool_max_bytes"`
	// SpoolSegmentBytes is the size of one queue file. Default min(64 MiB, SpoolMaxBytes/8).
	SpoolSegmentBytes int64 `toml:"spool_segment_bytes"`
	// FsyncInterval is the group-commit period of the queues. Default 100ms.
	FsyncInterval time.Duration `toml:"fsync_interval"`
	// FsyncAlways makes Submit wait for an fsync (shared by concurrent Submits).
	FsyncAlways bool `toml:"fsync_always"`
	// MaxInflightPoints bounds the points being encoded and written at once;
	// a Submit that cannot get its share within BusyWait gets ErrBusy. Default 500,000.
	MaxInflightPoints int64         `toml:"max_inflight_points"`
	BusyWait          time.Duration `toml:"busy_wait"` // default 1s
	// Delivery batching and retry defaults, for outputs that do not set their own.
	MaxBatchPoints int           `toml:"max_batch_points"` // default 10,000
	MaxBatchBytes  int           `toml:"max_batch_bytes"`  // default 4 MiB
	RetryMin       time.Duration `toml:"retry_min"`        // default 100ms
	RetryMax       time.Duration `toml:"retry_max"`        // default 30s
}

// DefaultBusyWait is Limits.BusyWait when unset; the HTTP API waits as
// long for room in its memory budget.
const DefaultBusyWait = time.Second

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.SpoolMaxBytes, 1<<30)
	def(&l.MaxInflightPoints, 500_000)
	if l.FsyncInterval <= 0 {
		l.FsyncInterval = 100 * time.Millisecond
	}
	if l.BusyWait <= 0 {
		l.BusyWait = DefaultBusyWait
	}
	if l.MaxBatchPoints <= 0 {
		l.MaxBatchPoints = 10_000
	}
	if l.MaxBatchBytes <= 0 {
		l.MaxBatchBytes = 4 << 20
	}
	if l.RetryMin <= 0 {
		l.RetryMin = 100 * time.Millisecond
	}
	if l.RetryMax < l.RetryMin {
		l.RetryMax = max(30*time.Second, l.RetryMin)
	}
	return l
}

// Options are what New needs.
type Options struct {
	Hostname   string            // the host tag; empty: no host tag
	GlobalTags map[string]string // added to every point; the point's own tag of the same key wins
	Outputs    map[string]outputs.Output
	DataDir    string // queues live in DataDir/spool/<output>/
	Limits     Limits
	Log        *slog.Logger
}

// Pipeline implements Submitter: it stamps global tags on accepted batches,
// encodes them once and appends them to every output's disk queue.
type Pipeline struct {
	extra    []point.Tag // host and global tags, sorted by key
	queues   []*queue
	inflight *semaphore.Weighted
	limits   Limits
	log      *slog.Logger
	querier  Querier
	buffers  sync.Pool // of *[]byte, the encoded records

	mu     sync.RWMutex // Submit holds it shared; Close exclusively
	closed bool
}

// New opens (and replays) each output's queue and starts its worker.
func New(o Options) (*Pipeline, error) {
	if len(o.Outputs) == 0 {
		return nil, errors.New("pipeline: no outputs")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	p := &Pipeline{limits: o.Limits.withDefaults(), log: o.Log, querier: emptyQuerier{}}
	p.inflight = semaphore.NewWeighted(p.limits.MaxInflightPoints)
	p.buffers.New = func() any { return new([]byte) }
	tags := map[string]string{}
	for k, v := range o.GlobalTags {
		tags[k] = v
	}
	if o.Hostname != "" {
		tags["host"] = o.Hostname
	}
	for k, v := range tags {
		p.extra = append(p.extra, point.Tag{Key: k, Value: v})
	}
	sort.Slice(p.extra, func(i, j int) bool { return p.extra[i].Key < p.extra[j].Key })

	names := make([]string, 0, len(o.Outputs))
	for name := range o.Outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out := o.Outputs[name]
		q, err := newQueue(name, out, filepath.Join(o.DataDir, "spool", dirName(name)), p.limits, o.Log)
		if err != nil {
			p.stopQueues()
			return nil, fmt.Errorf("pipeline: output %s: %w", name, err)
		}
		p.queues = append(p.queues, q)
		if qr, ok := out.(Querier); ok && p.querier == (emptyQuerier{}) {
			p.querier = qr
		}
	}
	for _, q := range p.queues {
		q.start()
	}
	return p, nil
}

// dirName makes an output's instance name ("influxdb#2") safe as a folder name.
func dirName(name string) string {
	if name == "" || name == "." || name == ".." {
		return "_" + name
	}
	return strings.NewReplacer("/", "_", "\\", "_", "\x00", "_").Replace(name)
}

// Querier returns the in-memory window of the first output that has one
// (the local output), or a Querier that finds nothing.
func (p *Pipeline) Querier() Querier { return p.querier }

type emptyQuerier struct{}

func (emptyQuerier) Query(Query) []*point.Point { return nil }

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("pipeline is closed")

// Submit adds the host and global tags to the batch's points (a point's own
// tag of the same key wins), stamps points without a time with the current
// time, encodes the batch once as line protocol and appends it to every
// output's queue. A batch given Encoded (with Tags added) is queued as is. It returns once the batch is written to every queue file
// (see the package README for what that guarantees), ErrBusy when the
// pipeline cannot take it now, or an encoding error naming the point.
func (p *Pipeline) Submit(ctx context.Context, b *Batch) error {
	count := len(b.Points)
	if count == 0 {
		count = b.Count
	}
	if count == 0 {
		return nil
	}
	weight := min(int64(count), p.limits.MaxInflightPoints)
	wctx, cancel := context.WithTimeout(ctx, p.limits.BusyWait)
	err := p.inflight.Acquire(wctx, weight)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		submitsBusy.WithLabelValues(b.Category).Inc()
		return ErrBusy
	}
	defer p.inflight.Release(weight)

	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	bufp := p.buffers.Get().(*[]byte)
	rec, err := p.encode((*bufp)[:0], b)
	parts := [][]byte{rec}
	if len(b.Points) == 0 { // rec is the header: the spool writes Encoded as it is
		parts = append(parts, b.Encoded)
	}
	defer func() {
		if cap(rec) <= 8<<20 { // do not pin huge buffers
			*bufp = rec
			p.buffers.Put(bufp)
		}
	}()
	if err != nil {
		return err
	}
	var errs []error
	for _, q := range p.queues {
		if err := q.append(b.Category, count, parts); err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", q.name, err))
		}
	}
	if len(errs) > 0 {
		// The disk refused (full, I/O error): the client retries later. Queues
		// that did take the batch will deliver it again on the retry
		// (at-least-once).
		submitsBusy.WithLabelValues(b.Category).Inc()
		return fmt.Errorf("%w: %v", ErrBusy, errors.Join(errs...))
	}
	return nil
}

// encode appends the queue record of b to buf, or only its header when b
// is Encoded. Keys and values were validated when they were decoded; only
// the shape of each point is checked here, for callers that build points
// themselves.
func (p *Pipeline) encode(buf []byte, b *Batch) ([]byte, error) {
	now := time.Now()
	if len(b.Points) == 0 {
		return appendRecordHeader(buf, b.Category, now, b.Count), nil
	}
	buf = appendRecordHeader(buf, b.Category, now, len(b.Points))
	extra := p.Tags()
	if b.IgnoreGlobalHostTags {
		extra = nil
	}
	for i, pt := range b.Points {
		if pt.Name == "" || len(pt.Fields) == 0 {
			return buf, fmt.Errorf("point %d (%q): a point needs a measurement name and at least one field", i, pt.Name)
		}
		buf = point.AppendMeasurement(buf, pt.Name)
		buf = point.AppendTags(buf, pt.Tags, extra)
		buf = point.AppendFields(buf, pt.Fields)
		t := pt.Time
		if t.IsZero() {
			t = now
		}
		buf = point.AppendTime(buf, t)
	}
	return buf, nil
}

// Tags are the host and global tags Submit adds, sorted by key.
func (p *Pipeline) Tags() []point.Tag { return p.extra }

// Flush waits until every queue is empty (everything delivered, rejected or
// dropped) or ctx ends.
func (p *Pipeline) Flush(ctx context.Context) error {
	for _, q := range p.queues {
		if err := q.waitEmpty(ctx); err != nil {
			return fmt.Errorf("flush of output %s: %w", q.name, err)
		}
	}
	return nil
}

// Close refuses further Submits, stops the workers (a write in progress is
// cancelled and will be redelivered), fsyncs and closes the queues and closes
// the outputs. Undelivered batches stay on disk and are replayed by the next
// New. Call Flush first to drain the queues on a graceful shutdown.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	return p.stopQueues()
}

func (p *Pipeline) stopQueues() error {
	var errs []error
	for _, q := range p.queues {
		errs = append(errs, q.stop())
	}
	return errors.Join(errs...)
}
