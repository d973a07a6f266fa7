package influxdb

import (
	"testing"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// FuzzAddTag: for any valid line protocol, adding the category tag keeps it
// valid, keeps the number of points, and every point ends up with the tag.
func FuzzAddTag(f *testing.F) {
	for _, s := range []string{"cpu usage=1 1\n", "c\\ p\\,u,a=b f=\"x\\ny\" 1\nd f=1\n", "m,category=x f=1i\n", "a\\\\,b=c f=1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		before, ok := count([]byte(in))
		if !ok || before == 0 {
			return
		}
		out := addTag([]byte(in), "category", "metric")
		after, ok := count(out)
		if !ok || after != before {
			t.Fatalf("addTag(%q) = %q: %d points (valid %v), want %d", in, out, after, ok, before)
		}
		dec := lineprotocol.NewDecoderWithBytes(out)
		for dec.Next() {
			dec.Measurement()
			found := false
			for {
				k, _, err := dec.NextTag()
				if err != nil || k == nil {
					break
				}
				found = found || string(k) == "category"
			}
			if !found {
				t.Fatalf("addTag(%q) = %q: a point lacks the tag", in, out)
			}
		}
	})
}

// count returns the number of points in lp and whether all of it decodes.
func count(lp []byte) (int, bool) {
	dec := lineprotocol.NewDecoderWithBytes(lp)
	n := 0
	for dec.Next() {
		if _, err := dec.Measurement(); err != nil {
			return n, false
		}
		for {
			k, _, err := dec.NextTag()
			if err != nil {
				return n, false
			}
			if k == nil {
				break
			}
		}
		for {
			k, _, err := dec.NextField()
			if err != nil {
				return n, false
			}
			if k == nil {
				break
			}
		}
		if _, err := dec.TimeBytes(); err != nil {
			return n, false
		}
		n++
	}
	return n, dec.Err() == nil
}
