package agent

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"netobs.local/agent/datakit/internal/api/apitest"
	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/datakit/internal/outputs"
	_ "netobs.local/agent/datakit/internal/outputs/local"
)

// BenchmarkIngestToLocal is the end-to-end ingest figure: HTTP over
// loopback into the real pipeline and the local output (files and query
// window), next to the raw line-protocol v2 decode rate of the same batch in
// the same run. The README records its ratio.
func BenchmarkIngestToLocal(b *testing.B) {
	cfg := config.Defaults()
	cfg.Hostname = "bench"
	cfg.DataDir = b.TempDir()
	cfg.HTTPAPI.Listen = "127.0.0.1:0"
	reg, _ := outputs.Get("local")
	cfg.Outputs = []config.OutputInstance{{Kind: "local", Name: "local", Config: reg.New()}}
	a, err := Start(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Stop(context.Background())
	apitest.Ingest(b, "http://"+a.Addr()+"/v1/write/network")
}
