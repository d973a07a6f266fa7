package api

import (
	"context"
	"testing"

	"netobs.local/agent/datakit/internal/api/apitest"
	"netobs.local/agent/datakit/internal/pipeline"
)

type discard struct{}

func (discard) Submit(context.Context, *pipeline.Batch) error { return nil }

// BenchmarkIngest: HTTP over loopback TCP to a discarding pipeline, next to
// the raw decode rate of the same batch (see apitest.Ingest).
func BenchmarkIngest(b *testing.B) {
	s := New(Config{Listen: "127.0.0.1:0"}, discard{}, nil, nil)
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	apitest.Ingest(b, "http://"+s.Addr()+"/v1/write/network")
}
