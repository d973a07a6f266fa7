package pointtest

import (
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// RawDecode is the baseline of the ingest benchmarks: it decodes every
// tag, field value and timestamp with the lineprotocol v2 decoder and
// keeps nothing, returning the number of entries (-1 on error).
func RawDecode(batch []byte) int {
	d := lineprotocol.NewDecoderWithBytes(batch)
	n := 0
	for d.Next() {
		if _, err := d.Measurement(); err != nil {
			return -1
		}
		for {
			k, _, err := d.NextTag()
			if err != nil {
				return -1
			}
			if k == nil {
				break
			}
		}
		for {
			k, _, err := d.NextField()
			if err != nil {
				return -1
			}
			if k == nil {
				break
			}
		}
		if _, err := d.Time(lineprotocol.Nanosecond, time.Time{}); err != nil {
			return -1
		}
		n++
	}
	return n
}
