package testenv

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Sample is one stored value of one field, read back from a store so that
// tests can compare what each output holds.
type Sample struct {
	Tags   map[string]string
	TimeNs int64
	Value  float64
}

// VMSamples exports every sample of metric (VictoriaMetrics names a line
// protocol field `measurement_field`) after forcing a flush.
func (b *Backend) VMSamples(metric string) []Sample {
	b.t.Helper()
	b.Get("/internal/force_flush")
	body := b.Get("/api/v1/export?" + url.Values{"match[]": {metric}}.Encode())
	var out []Sample
	dec := json.NewDecoder(strings.NewReader(body))
	for dec.More() {
		var s struct {
			Metric     map[string]string
			Values     []float64
			Timestamps []int64
		}
		if err := dec.Decode(&s); err != nil {
			b.t.Fatalf("VictoriaMetrics export: %v", err)
		}
		delete(s.Metric, "__name__")
		for i, ms := range s.Timestamps {
			out = append(out, Sample{Tags: s.Metric, TimeNs: ms * 1e6, Value: s.Values[i]})
		}
	}
	return out
}

// InfluxSamples reads every value of field in measurement from an InfluxDB
// 1.x database, with all of the series' tags.
func (b *Backend) InfluxSamples(db, measurement, field string) []Sample {
	b.t.Helper()
	q := "SELECT \"" + field + "\" FROM \"" + measurement + "\" GROUP BY *"
	body := b.Post("/query", url.Values{"db": {db}, "epoch": {"ns"}, "q": {q}})
	var r struct {
		Results []struct {
			Series []struct {
				Tags   map[string]string
				Values [][]json.Number
			}
			Error string
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil || len(r.Results) != 1 || r.Results[0].Error != "" {
		b.t.Fatalf("InfluxDB answer %.300s: %v", body, err)
	}
	var out []Sample
	for _, s := range r.Results[0].Series {
		for _, row := range s.Values {
			ts, _ := row[0].Int64()
			v, _ := row[1].Float64()
			out = append(out, Sample{Tags: s.Tags, TimeNs: ts, Value: v})
		}
	}
	return out
}

// LPPoint is one decoded line of line protocol.
type LPPoint struct {
	Name   string
	Tags   map[string]string
	Fields map[string]any // int64, uint64, float64, string or bool
	TimeNs int64
}

// DecodeLP decodes line protocol, failing the test on a syntax error.
func DecodeLP(t testing.TB, b []byte) []LPPoint {
	t.Helper()
	var out []LPPoint
	dec := lineprotocol.NewDecoderWithBytes(b)
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			t.Fatalf("line protocol: %v", err)
		}
		p := LPPoint{Name: string(m), Tags: map[string]string{}, Fields: map[string]any{}}
		for k, v, _ := dec.NextTag(); k != nil; k, v, _ = dec.NextTag() {
			p.Tags[string(k)] = string(v)
		}
		for k, v, _ := dec.NextField(); k != nil; k, v, _ = dec.NextField() {
			p.Fields[string(k)] = v.Interface()
		}
		ts, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
		if err != nil {
			t.Fatalf("line protocol: %v", err)
		}
		p.TimeNs = ts.UnixNano()
		out = append(out, p)
	}
	if err := dec.Err(); err != nil {
		t.Fatalf("line protocol: %v", err)
	}
	return out
}

// Number returns a numeric field as float64 (0 when absent).
func (p LPPoint) Number(field string) float64 {
	switch v := p.Fields[field].(type) {
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// LPFileSamples reads every value of field in measurement from the line
// protocol files (*.lp) in dir, such as the local output's files.
func LPFileSamples(t testing.TB, dir, measurement, field string) []Sample {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.lp"))
	var out []Sample
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range DecodeLP(t, b) {
			if _, ok := p.Fields[field]; ok && p.Name == measurement {
				out = append(out, Sample{Tags: p.Tags, TimeNs: p.TimeNs, Value: p.Number(field)})
			}
		}
	}
	return out
}
