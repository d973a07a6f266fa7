package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/outputs"
	_ "netobs.local/agent/datakit/internal/outputs/influxdb"
	_ "netobs.local/agent/datakit/internal/outputs/local"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
	"netobs.local/agent/tests/testenv"
)

const (
	total     = 10_000
	batchSize = 100
	series    = 10
)

// buildOutputs builds the outputs from TOML, as the config loader does.
func buildOutputs(t *testing.T, dataDir, conf string) map[string]outputs.Output {
	t.Helper()
	var tables struct{ Outputs map[string][]toml.Primitive }
	md, err := toml.Decode(conf, &tables)
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]outputs.Output{}
	for kind, prims := range tables.Outputs {
		reg, ok := outputs.Get(kind)
		if !ok {
			t.Fatalf("no output %q", kind)
		}
		for i, prim := range prims {
			cfg := reg.New()
			if err := md.PrimitiveDecode(prim, cfg); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s#%d", kind, i)
			out, err := cfg.Build(outputs.Env{Name: name, DataDir: dataDir, Log: slog.Default()})
			if err != nil {
				t.Fatal(err)
			}
			built[name] = out
		}
	}
	return built
}

// The point i: series i%10, value i, at base + i ms.
func batch(base time.Time, from int) *pipeline.Batch {
	b := &pipeline.Batch{Category: "metric"}
	for i := from; i < from+batchSize; i++ {
		b.Points = append(b.Points, &point.Point{
			Name:   "netperf",
			Tags:   []point.Tag{{Key: "series", Value: strconv.Itoa(i % series)}},
			Fields: []point.Field{{Key: "value", Value: lineprotocol.IntValue(int64(i))}},
			Time:   base.Add(time.Duration(i) * time.Millisecond),
		})
	}
	return b
}

// TestBackendsLoseNothing sends 10,000 points through the pipeline to the
// local store, a real VictoriaMetrics and a real InfluxDB; mid-stream both
// backends are killed, the pipeline is closed without flushing and reopened
// (replaying its spool), and the backends come back. Every store must then
// hold exactly the 10,000 points with their values.
func TestBackendsLoseNothing(t *testing.T) {
	vm := testenv.StartVictoriaMetrics(t)
	idb := testenv.StartInfluxDB(t)
	idb.Post("/query", url.Values{"q": {"CREATE DATABASE datakit"}})
	dataDir := t.TempDir()
	conf := fmt.Sprintf(`
[[outputs.local]]
  window_points = 20000
[[outputs.influxdb]]
  url = %q
  database = "datakit"
  retry_min = "20ms"
  retry_max = "200ms"
  batch_points = 700
[[outputs.influxdb]]
  url = %q
  database = "datakit"
  gzip = false
  retry_min = "20ms"
  retry_max = "200ms"
`, vm.URL, idb.URL)
	open := func() *pipeline.Pipeline {
		p, err := pipeline.New(pipeline.Options{Hostname: "testhost", Outputs: buildOutputs(t, dataDir, conf), DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	p := open()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	submit := func(from, to int) {
		for i := from; i < to; i += batchSize {
			if err := p.Submit(context.Background(), batch(base, i)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	submit(0, 3000)
	// VictoriaMetrics buffers acknowledged rows in memory for about a second,
	// so it gets SIGTERM; InfluxDB fsyncs its WAL per write and gets SIGKILL.
	vm.Kill(syscall.SIGTERM)
	idb.Kill(syscall.SIGKILL)
	submit(3000, 6000)
	if err := p.Close(); err != nil { // no flush: the rest is spooled
		t.Fatal(err)
	}
	p = open()
	submit(6000, 8000)
	vm.Restart()
	idb.Restart()
	submit(8000, total)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	check := func(store string, got map[int64]float64, from int) {
		t.Helper()
		if len(got) != total-from {
			t.Errorf("%s holds %d points, want %d", store, len(got), total-from)
		}
		for i := from; i < total; i++ {
			ts := base.Add(time.Duration(i) * time.Millisecond).UnixNano()
			if v, ok := got[ts]; !ok || v != float64(i) {
				t.Errorf("%s: point %d: value %v (present %v)", store, i, v, ok)
				return
			}
		}
	}
	// The in-memory window holds what this process wrote: the points
	// submitted after the reopen.
	check("local window", fromPoints(t, p.Querier().Query(pipeline.Query{Category: "metric", Measurement: "netperf"})), 6000)
	check("local files", fromSamples(t, "local files", testenv.LPFileSamples(t, filepath.Join(dataDir, "local", "metric"), "netperf", "value")), 0)
	check("VictoriaMetrics", fromSamples(t, "VictoriaMetrics", vm.VMSamples("netperf_value")), 0)
	check("InfluxDB", fromSamples(t, "InfluxDB", idb.InfluxSamples("datakit", "netperf", "value")), 0)
}

func fromPoints(t *testing.T, pts []*point.Point) map[int64]float64 {
	t.Helper()
	got := map[int64]float64{}
	for _, p := range pts {
		if len(p.Tags) != 2 || p.Tags[0] != (point.Tag{Key: "host", Value: "testhost"}) {
			t.Fatalf("point tags %v, want host and series", p.Tags)
		}
		if _, dup := got[p.Time.UnixNano()]; dup {
			t.Fatalf("point at %v stored twice", p.Time)
		}
		got[p.Time.UnixNano()] = float64(p.Fields[0].Value.IntV())
	}
	return got
}

// fromSamples checks every stored sample's tags and indexes its value by time.
func fromSamples(t *testing.T, store string, samples []testenv.Sample) map[int64]float64 {
	t.Helper()
	got := map[int64]float64{}
	for _, s := range samples {
		if s.Tags["host"] != "testhost" || s.Tags["series"] != strconv.Itoa(int(s.Value)%series) {
			t.Fatalf("%s: sample %v at %d has tags %v", store, s.Value, s.TimeNs, s.Tags)
		}
		got[s.TimeNs] = s.Value
	}
	return got
}
