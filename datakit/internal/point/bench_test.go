package point

import (
	"testing"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// BenchmarkDecode compares DecodeLPBytes with the bare lineprotocol
// decoder walking every value of the same batch (the floor).
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
