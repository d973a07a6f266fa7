// Package point is the supervisor's model of one measurement point, shared by
// the HTTP ingest path, the pipeline and the outputs.
package point

import (
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Point is one validated measurement point. Tags and Fields are sorted by key
// and keys are unique, so encoding is canonical and cheap.
type Point struct {
	Name   string
	Tags   []Tag
	Fields []Field
	Time   time.Time
}

// Tag is a key/value label.
type Tag struct{ Key, Value string }

// Field is a typed value; lineprotocol.Value keeps int, uint, float, string
// and bool without boxing. Raw, when set, holds instead a value of one of
// DataKit's extensions as its canonical line protocol (`"aGk="b` for
// binary, `[1i,2i]` for an array; see ext.go), and Value is unused.
type Field struct {
	Key   string
	Value lineprotocol.Value
	Raw   string
}

// Binary reports whether f holds a binary value (Raw `"…"b`).
func (f *Field) Binary() bool { return len(f.Raw) > 0 && f.Raw[0] == '"' }

// Categories are the data kinds of DataKit's /v1/write/:category API.
var Categories = []string{
	"metric", "logging", "object", "custom_object", "keyevent",
	"network", "tracing", "security", "rum",
}

// ValidCategory reports whether c is one of Categories.
func ValidCategory(c string) bool {
	for _, v := range Categories {
		if v == c {
			return true
		}
	}
	return false
}
