package main

import (
	"os"
	"strings"
	"testing"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/internal/measure"
)

// point is one decoded line of the collector's output.
type point struct {
	name   string
	tags   map[string]string
	fields map[string]int64
	strs   map[string]string // string fields (httpflow's method, path, http_version)
}

// readPoints decodes the --output file and checks every point against its
// declared schema: an undeclared tag or field, or a wrong type, fails.
func readPoints(t *testing.T, path string) []point {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parsePoints(t, b)
}

// parsePoints decodes line protocol, checked against the schemas.
func parsePoints(t *testing.T, b []byte) []point {
	t.Helper()
	var pts []point
	dec := lineprotocol.NewDecoderWithBytes(b)
	for dec.Next() {
		name, err := dec.Measurement()
		if err != nil {
			t.Fatalf("line protocol: %v", err)
		}
		p := point{name: string(name), tags: map[string]string{}, fields: map[string]int64{}, strs: map[string]string{}}
		var tagNames []string
		for {
			k, v, err := dec.NextTag()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
			p.tags[string(k)] = string(v)
			tagNames = append(tagNames, string(k))
		}
		types := map[string]measure.Type{}
		for {
			k, v, err := dec.NextField()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
			types[string(k)] = measure.Type(strings.ToLower(v.Kind().String()))
			switch v.Kind() {
			case lineprotocol.Int:
				p.fields[string(k)] = v.IntV()
			case lineprotocol.String:
				p.strs[string(k)] = v.StringV()
			}
		}
		m, ok := measure.Lookup(p.name)
		if !ok {
			t.Fatalf("measurement %q is not declared", p.name)
		}
		if err := m.Check(tagNames, types); err != nil {
			t.Fatal(err)
		}
		pts = append(pts, p)
	}
	return pts
}

// sum adds field over the points that match every given tag.
func sum(pts []point, name, field string, tags map[string]string) (total int64, n int) {
	for _, p := range pts {
		if p.name != name {
			continue
		}
		ok := true
		for k, v := range tags {
			ok = ok && p.tags[k] == v
		}
		if ok {
			total += p.fields[field]
			n++
		}
	}
	return total, n
}
