package l7

import (
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Point is one aggregated measurement point. It mirrors the supervisor's
// point.Point (which lives under datakit/internal and cannot be imported
// here): Tags and Fields sorted by key, keys unique.
type Point struct {
	Name   string
	Tags   []Tag
	Fields []Field
	Time   time.Time
}

// Field is a typed field value.
type Field struct {
	Key   string
	Value lineprotocol.Value
}

// Tag returns the value of tag key and whether it is present.
func (p *Point) Tag(key string) (string, bool) {
	for _, t := range p.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Field returns the value of field key and whether it is present.
func (p *Point) Field(key string) (lineprotocol.Value, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return lineprotocol.Value{}, false
}
