package point

import (
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// viaEncoder is the reference: the library's own encoder.
func viaEncoder(p *Point) ([]byte, error) {
	var e lineprotocol.Encoder
	e.StartLine(p.Name)
	for _, t := range p.Tags {
		e.AddTag(t.Key, t.Value)
	}
	for _, f := range p.Fields {
		e.AddField(f.Key, f.Value)
	}
	e.EndLine(p.Time)
	return e.Bytes(), e.Err()
}

func FuzzAppendMatchesEncoder(f *testing.F) {
	f.Add("cpu", "host", "a b,c=d", "usage", "say \"hi\"\n\\", int64(1), 1.5, int64(1700000000000000000))
	f.Add("m, x", "k=,", "v", "f k", "", int64(-3), -0.0, int64(0))
	f.Fuzz(func(t *testing.T, name, tk, tv, fk, sv string, iv int64, fv float64, ts int64) {
		s, ok := lineprotocol.StringValue(sv)
		if !ok {
			return
		}
		fl, ok := lineprotocol.FloatValue(fv)
		if !ok {
			return
		}
		p := &Point{Name: name, Tags: []Tag{{tk, tv}}, Time: time.Unix(0, ts),
			Fields: []Field{{Key: fk + "a", Value: s}, {Key: fk + "b", Value: lineprotocol.IntValue(iv)}, {Key: fk + "c", Value: fl}, {Key: fk + "d", Value: lineprotocol.BoolValue(iv%2 == 0)}, {Key: fk + "e", Value: lineprotocol.UintValue(uint64(iv))}}}
		want, err := viaEncoder(p)
		if err != nil {
			return // the encoder refuses it: the decoder never produces it
		}
		got := AppendLP(nil, p)
		if string(got) != string(want) {
			t.Fatalf("AppendLP wrote\n%q\nthe encoder\n%q", got, want)
		}
	})
}

func BenchmarkAppendLP(b *testing.B) {
	pts, err := DecodeLPBytes(pointtest.NetflowBatch(100), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoder", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range pts {
				viaEncoder(p)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 64<<10)
		for i := 0; i < b.N; i++ {
			buf = AppendLP(buf[:0], pts...)
		}
	})
}
