// Package lp is the collector's point model and its line-protocol encoding.
package lp

import (
	"fmt"
	"sort"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Point is one measurement point.
type Point struct {
	Name   string
	Tags   []Tag
	Fields []Field
	Time   time.Time
}

// Tag is a key/value label.
type Tag struct{ Key, Value string }

// Field is a typed value.
type Field struct {
	Key   string
	Value lineprotocol.Value
}

// Int is an integer field.
func Int(key string, v int64) Field { return Field{key, lineprotocol.IntValue(v)} }

// AddTags appends tags (used with the global --tags).
func (p *Point) AddTags(tags ...Tag) { p.Tags = append(p.Tags, tags...) }

// Encode appends the line protocol of pts to dst. Tags are sorted (line
// protocol wants lexical order); empty tag values are written as N/A
// because line protocol cannot carry them.
func Encode(dst []byte, pts []Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	enc.SetBuffer(dst)
	for i := range pts {
		p := &pts[i]
		sort.SliceStable(p.Tags, func(a, b int) bool { return p.Tags[a].Key < p.Tags[b].Key })
		enc.StartLine(p.Name)
		for j, t := range p.Tags {
			if j > 0 && p.Tags[j-1].Key == t.Key {
				return nil, fmt.Errorf("point %s: duplicate tag %q", p.Name, t.Key)
			}
			v := t.Value
			if v == "" {
				v = "N/A"
			}
			enc.AddTag(t.Key, v)
		}
		for _, f := range p.Fields {
			enc.AddField(f.Key, f.Value)
		}
		enc.EndLine(p.Time)
		if err := enc.Err(); err != nil {
			return nil, fmt.Errorf("point %s: %w", p.Name, err)
		}
	}
	return enc.Bytes(), nil
}
