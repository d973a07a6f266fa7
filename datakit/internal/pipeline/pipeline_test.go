package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/point"
)

// fakeOutput records what it is given and fails on demand.
type fakeOutput struct {
	mu     sync.Mutex
	lines  []string
	cats   []string
	writes int
	fail   func(lp []byte) error
}

func (f *fakeOutput) Write(_ context.Context, category string, lp []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.fail != nil {
		if err := f.fail(lp); err != nil {
			return err
		}
	}
	for _, l := range strings.SplitAfter(string(lp), "\n") {
		if l != "" {
			f.lines = append(f.lines, l)
			f.cats = append(f.cats, category)
		}
	}
	return nil
}

func (f *fakeOutput) Close() error { return nil }

func (f *fakeOutput) setFail(fn func([]byte) error) { f.mu.Lock(); f.fail = fn; f.mu.Unlock() }

func (f *fakeOutput) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newPipeline(t *testing.T, dir string, outs map[string]outputs.Output, l Limits) *Pipeline {
	t.Helper()
	if l.RetryMin == 0 {
		l.RetryMin, l.RetryMax = time.Millisecond, 20*time.Millisecond
	}
	p, err := New(Options{Hostname: "h1", GlobalTags: map[string]string{"env": "test", "zone": "z"},
		Outputs: outs, DataDir: dir, Limits: l, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func pt(name string, i int, tags ...point.Tag) *point.Point {
	return &point.Point{Name: name, Tags: tags,
		Fields: []point.Field{{Key: "value", Value: lineprotocol.IntValue(int64(i))}},
		Time:   time.Unix(1700000000, int64(i))}
}

func submit(t *testing.T, p *Pipeline, cat string, from, to int) {
	t.Helper()
	b := &Batch{Category: cat}
	for i := from; i < to; i++ {
		b.Points = append(b.Points, pt("m", i))
	}
	if err := p.Submit(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func flush(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGlobalTagsPointWinsAndIgnore(t *testing.T) {
	out := &fakeOutput{}
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": out}, Limits{})
	ctx := context.Background()
	p.Submit(ctx, &Batch{Category: "metric", Points: []*point.Point{
		pt("cpu", 1, point.Tag{Key: "a", Value: "1"}, point.Tag{Key: "env", Value: "mine"}),
		{Name: "now", Fields: []point.Field{{Key: "f", Value: lineprotocol.BoolValue(true)}}},
	}})
	p.Submit(ctx, &Batch{Category: "logging", IgnoreGlobalHostTags: true, Points: []*point.Point{pt("log", 2, point.Tag{Key: "a", Value: "1"})}})
	flush(t, p)
	got := out.got()
	if len(got) != 3 || got[0] != "cpu,a=1,env=mine,host=h1,zone=z value=1i 1700000000000000001\n" ||
		!strings.HasPrefix(got[1], "now,env=test,host=h1,zone=z f=true ") || got[2] != "log,a=1 value=2i 1700000000000000002\n" {
		t.Fatalf("delivered:\n%s", strings.Join(got, ""))
	}
	if out.cats[2] != "logging" {
		t.Fatalf("categories %v", out.cats)
	}
	err := p.Submit(ctx, &Batch{Category: "metric", Points: []*point.Point{{Name: "bad", Fields: nil}}})
	if err == nil || !strings.Contains(err.Error(), "point 0") {
		t.Fatalf("a point without fields: err %v", err)
	}
}

// TestEncodedBatch: a batch the API encoded with Tags() is queued as is,
// counted by Count.
func TestEncodedBatch(t *testing.T) {
	out := &fakeOutput{}
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": out}, Limits{})
	if got := fmt.Sprint(p.Tags()); got != "[{env test} {host h1} {zone z}]" {
		t.Fatalf("Tags() = %s", got)
	}
	body := []byte("cpu,env=mine value=1i 1700000000\ncpu value=2i 1700000000\n")
	enc, n, err := point.TranscodeLP(nil, body, point.Options{}, p.Tags())
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	spooled := value(pointsSpooled.WithLabelValues("fake", "metric"))
	if err := p.Submit(context.Background(), &Batch{Category: "metric", Encoded: enc, Count: n}); err != nil {
		t.Fatal(err)
	}
	flush(t, p)
	got := strings.Join(out.got(), "")
	if got != "cpu,env=mine,host=h1,zone=z value=1i 1700000000000000000\ncpu,env=test,host=h1,zone=z value=2i 1700000000000000000\n" {
		t.Fatalf("delivered:\n%s", got)
	}
	if v := value(pointsSpooled.WithLabelValues("fake", "metric")) - spooled; v != 2 {
		t.Fatalf("%v points counted as spooled, want 2", v)
	}
}

func TestOrderedDeliveryThroughOutage(t *testing.T) {
	out := &fakeOutput{}
	down := errors.New("connection refused")
	out.setFail(func([]byte) error { return down })
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": out}, Limits{MaxBatchPoints: 70})
	retried := value(pointsRetried.WithLabelValues("fake", "metric"))
	for i := 0; i < 1000; i += 50 {
		submit(t, p, "metric", i, i+50)
	}
	time.Sleep(50 * time.Millisecond)
	if n := value(queueBatches.WithLabelValues("fake")); n != 20 {
		t.Fatalf("queue depth %v batches while the output is down, want 20", n)
	}
	out.setFail(nil)
	flush(t, p)
	checkSequence(t, out.got(), 0, 1000)
	if value(pointsRetried.WithLabelValues("fake", "metric")) <= retried {
		t.Fatal("retries were not counted")
	}
	if n := value(queueBytes.WithLabelValues("fake")); n != 0 {
		t.Fatalf("queue bytes %v after flush", n)
	}
}

func checkSequence(t *testing.T, lines []string, from, to int) {
	t.Helper()
	if len(lines) != to-from {
		t.Fatalf("delivered %d points, want %d", len(lines), to-from)
	}
	for i, l := range lines {
		if want := fmt.Sprintf(" value=%di ", from+i); !strings.Contains(l, want) {
			t.Fatalf("point %d is %q, want value %d", i, l, from+i)
		}
	}
}

func TestPermanentErrorsDropOnlyTheBadBatch(t *testing.T) {
	out := &fakeOutput{}
	out.setFail(func(lp []byte) error {
		if bytes.Contains(lp, []byte("value=13i")) {
			return fmt.Errorf("%w: 400 Bad Request: field type conflict", outputs.ErrPermanent)
		}
		return nil
	})
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": out}, Limits{})
	before := value(pointsDropped.WithLabelValues("fake", "metric", "rejected"))
	for i := 0; i < 30; i += 10 {
		submit(t, p, "metric", i, i+10)
	}
	flush(t, p)
	got := out.got()
	checkSequence(t, got[:10], 0, 10)
	checkSequence(t, got[10:], 20, 30)
	if n := value(pointsDropped.WithLabelValues("fake", "metric", "rejected")) - before; n != 10 {
		t.Fatalf("rejected points counted %v, want 10", n)
	}
}

func TestCloseWithoutFlushReplays(t *testing.T) {
	dir := t.TempDir()
	out := &fakeOutput{}
	out.setFail(func([]byte) error { return errors.New("down") })
	p := newPipeline(t, dir, map[string]outputs.Output{"fake": out}, Limits{})
	for i := 0; i < 500; i += 25 {
		submit(t, p, "network", i, i+25)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(context.Background(), &Batch{Category: "metric", Points: []*point.Point{pt("m", 0)}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}
	out2 := &fakeOutput{}
	p = newPipeline(t, dir, map[string]outputs.Output{"fake": out2}, Limits{})
	submit(t, p, "network", 500, 510)
	flush(t, p)
	checkSequence(t, out2.got(), 0, 510)
}

func TestSpoolBoundDropsOldestAndCounts(t *testing.T) {
	out := &fakeOutput{}
	out.setFail(func([]byte) error { return errors.New("down") })
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": out},
		Limits{SpoolMaxBytes: 64 << 10, SpoolSegmentBytes: 8 << 10})
	before := value(pointsDropped.WithLabelValues("fake", "object", "spool_full"))
	const n = 5000
	for i := 0; i < n; i += 10 {
		submit(t, p, "object", i, i+10)
	}
	dropped := value(pointsDropped.WithLabelValues("fake", "object", "spool_full")) - before
	if dropped == 0 || int(dropped)%10 != 0 {
		t.Fatalf("dropped %v points, want a positive multiple of the batch size", dropped)
	}
	out.setFail(nil)
	flush(t, p)
	// What is left is exactly the newest points, in order, minus at most the
	// one batch the worker had in flight when its segment was dropped.
	got := out.got()
	first := n - len(got)
	if int(dropped) != first && int(dropped) != first+10 {
		t.Fatalf("delivered %d, dropped %v of %d", len(got), dropped, n)
	}
	t.Logf("dropped %v, delivered %d", dropped, len(got))
	checkSequence(t, got[len(got)-(n-int(dropped)):], int(dropped), n)
}

func TestBusyWhenInflightIsFull(t *testing.T) {
	p := newPipeline(t, t.TempDir(), map[string]outputs.Output{"fake": &fakeOutput{}},
		Limits{MaxInflightPoints: 10, BusyWait: 10 * time.Millisecond})
	p.inflight.Acquire(context.Background(), 10) // another Submit holds it all
	err := p.Submit(context.Background(), &Batch{Category: "metric", Points: []*point.Point{pt("m", 1)}})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("err %v, want ErrBusy", err)
	}
	p.inflight.Release(10)
	submit(t, p, "metric", 0, 100) // larger than the bound: takes it all, still accepted
}

// value reads a counter or gauge.
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
