package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	check("local files", fromFiles(t, filepath.Join(dataDir, "local", "metric")), 0)
	check("VictoriaMetrics", fromVM(t, vm), 0)
	check("InfluxDB", fromInflux(t, idb), 0)
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

func fromFiles(t *testing.T, dir string) map[int64]float64 {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.lp"))
	var pts []*point.Point
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dec := lineprotocol.NewDecoderWithBytes(b)
		for dec.Next() {
			p := &point.Point{}
			m, _ := dec.Measurement()
			p.Name = string(m)
			for k, v, _ := dec.NextTag(); k != nil; k, v, _ = dec.NextTag() {
				p.Tags = append(p.Tags, point.Tag{Key: string(k), Value: string(v)})
			}
			for k, v, _ := dec.NextField(); k != nil; k, v, _ = dec.NextField() {
				p.Fields = append(p.Fields, point.Field{Key: string(k), Value: v})
			}
			var err error
			if p.Time, err = dec.Time(lineprotocol.Nanosecond, time.Time{}); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			pts = append(pts, p)
		}
	}
	return fromPoints(t, pts)
}

func fromVM(t *testing.T, vm *testenv.Backend) map[int64]float64 {
	t.Helper()
	vm.Get("/internal/force_flush")
	got := map[int64]float64{}
	body := vm.Get("/api/v1/export?" + url.Values{"match[]": {`netperf_value`}}.Encode())
	dec := json.NewDecoder(strings.NewReader(body))
	for dec.More() {
		var s struct {
			Metric     map[string]string
			Values     []float64
			Timestamps []int64
		}
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		for i, ms := range s.Timestamps {
			if s.Metric["host"] != "testhost" || s.Metric["series"] != strconv.Itoa(int(s.Values[i])%series) {
				t.Fatalf("VictoriaMetrics series %v holds value %v", s.Metric, s.Values[i])
			}
			got[ms*int64(time.Millisecond)] = s.Values[i]
		}
	}
	return got
}

func fromInflux(t *testing.T, idb *testenv.Backend) map[int64]float64 {
	t.Helper()
	body := idb.Post("/query", url.Values{"db": {"datakit"}, "epoch": {"ns"}, "q": {"SELECT \"value\", \"series\", \"host\" FROM netperf"}})
	var r struct {
		Results []struct {
			Series []struct{ Values [][]any }
			Error  string
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil || len(r.Results) != 1 || r.Results[0].Error != "" {
		t.Fatalf("InfluxDB answer %.300s: %v", body, err)
	}
	got := map[int64]float64{}
	for _, s := range r.Results[0].Series {
		for _, row := range s.Values {
			ts, _ := row[0].(json.Number).Int64()
			v, _ := row[1].(json.Number).Float64()
			if row[2] != strconv.Itoa(int(v)%series) || row[3] != "testhost" {
				t.Fatalf("InfluxDB row %v", row)
			}
			got[ts] = v
		}
	}
	return got
}
