package point

import (
	"testing"

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
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		extra := []Tag{{"cluster", "c1"}, {"host", "bench"}}
		var out []byte
		for b.Loop() {
			var n int
			var err error
			if out, n, err = TranscodeLP(out[:0], batch, Options{}, extra); err != nil || n != 1000 {
				b.Fatal(n, err)
			}
		}
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
