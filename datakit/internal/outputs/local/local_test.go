package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

func TestSampleDecodes(t *testing.T) {
	reg, _ := outputs.Get("local")
	var tables struct{ Outputs map[string][]*Config }
	md, err := toml.Decode(reg.Sample, &tables)
	if err != nil || len(md.Undecoded()) > 0 {
		t.Fatalf("sample: %v, undecoded %v", err, md.Undecoded())
	}
	if *tables.Outputs["local"][0] != *DefaultConfig() {
		t.Fatalf("the sample drifted from the defaults: %+v", tables.Outputs["local"][0])
	}
	bad := DefaultConfig()
	bad.MaxTotalBytes = 10
	if _, err := bad.Build(outputs.Env{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "max_total_bytes") {
		t.Fatalf("bad bound: %v", err)
	}
}

func line(i int) string { return fmt.Sprintf("m,k=v%d f=%di %d\n", i%3, i, 1700000000000000000+i) }

func TestRotationAndRetention(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	c.MaxFileBytes, c.MaxTotalBytes = 300, 1000
	out, err := c.Build(outputs.Env{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var all strings.Builder
	for i := 0; i < 100; i++ {
		all.WriteString(line(i))
		if err := out.Write(context.Background(), "metric", []byte(line(i))); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "local", "metric", "*.lp"))
	var kept strings.Builder
	var size int64
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) > 300 {
			t.Errorf("%s has %d bytes, over max_file_bytes", f, len(b))
		}
		size += int64(len(b))
		kept.Write(b)
	}
	if size > 1000 || len(files) < 3 {
		t.Fatalf("%d files, %d bytes: want several files within 1000 bytes", len(files), size)
	}
	if !strings.HasSuffix(all.String(), kept.String()) { // the newest data, whole and in order
		t.Fatalf("kept data is not the newest suffix:\n%s", kept.String())
	}
}

func TestWindowBoundsAndQuery(t *testing.T) {
	w := newWindow(5, time.Minute)
	now := time.Now()
	mk := func(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }
	w.add("metric", mk("old,k=a f=1i 1"), now.Add(-2*time.Minute)) // past the age bound
	w.add("metric", mk("a,k=0 f=1i 1", "a,k=1 f=1i 1", "b,k=1 f=1i 1", "a,k=2 f=1i 1"), now.Add(-40*time.Second))
	w.add("logging", mk("a,k=1 f=1i 1", "c,k=1 f=1i 1", "d,k=1 f=1i 1"), now) // pushes out the oldest by count
	names := func(pts []*point.Point) string {
		var s []string
		for _, p := range pts {
			s = append(s, p.Name+"="+p.Tags[0].Value)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		q    pipeline.Query
		want string
	}{
		{pipeline.Query{}, "b=1 a=2 a=1 c=1 d=1"},
		{pipeline.Query{Category: "metric"}, "b=1 a=2"},
		{pipeline.Query{Measurement: "a"}, "a=2 a=1"},
		{pipeline.Query{Tags: []point.Tag{{Key: "k", Value: "1"}}}, "b=1 a=1 c=1 d=1"},
		{pipeline.Query{Tags: []point.Tag{{Key: "nope", Value: "1"}}}, ""},
		{pipeline.Query{Since: 30 * time.Second}, "a=1 c=1 d=1"},
	} {
		if got := names(w.query(tc.q, now)); got != tc.want {
			t.Errorf("query %+v = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestWindowKeepsExtensions: DataKit's binary and array values come back
// from the query window as they were stored.
func TestWindowKeepsExtensions(t *testing.T) {
	w := newWindow(5, time.Minute)
	lp := "m a=[1i,2i],b=\"aGk=\"b 1700000000000000000\n"
	w.add("network", []byte(lp), time.Now())
	pts := w.query(pipeline.Query{}, time.Now())
	if len(pts) != 1 || pts[0].String()+"\n" != lp {
		t.Fatalf("got %v", pts)
	}
}
