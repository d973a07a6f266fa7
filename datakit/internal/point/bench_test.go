package point

import (
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// BenchmarkDecode compares DecodeLPBytes and TranscodeLP with the bare
// lineprotocol decoder walking every value of the same batch (the floor).
func BenchmarkDecode(b *testing.B) {
	batch := pointtest.NetflowBatch(1000)
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			if n := pointtest.RawDecode(batch); n != 1000 {
				b.Fatal(n)
			}
		}
	})
	b.Run("transcode", func(b *testing.B) {
		// Interleaved with the raw decoder so that load from elsewhere on
		// the machine hits both alike: "x-raw" is the cost ratio.
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		extra := []Tag{{"cluster", "c1"}, {"host", "bench"}}
		var out []byte
		var raw, ours time.Duration
		for b.Loop() {
			t0 := time.Now()
			pointtest.RawDecode(batch)
			t1 := time.Now()
			var n int
			var err error
			if out, n, err = TranscodeLP(out[:0], batch, Options{}, extra); err != nil || n != 1000 {
				b.Fatal(n, err)
			}
			raw, ours = raw+t1.Sub(t0), ours+time.Since(t1)
		}
		b.ReportMetric(ours.Seconds()/raw.Seconds(), "x-raw")
	})
	b.Run("points", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeLPBytes(batch, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
