// Package apitest measures the HTTP ingest path against the raw
// line-protocol decoder, with any pipeline behind the API: the API's own
// benchmark uses a discarding Submitter, the end-to-end one the real
// pipeline with the local output.
package apitest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// BatchLines is the size of the benchmark's write requests.
const BatchLines = 1000

// Ingest POSTs a netflow-like batch of BatchLines lines to writeURL
// (http://host:port/v1/write/network) b.N times and, interleaved with it so
// both see the same machine load, decodes the same batch b.N times with the
// bare lineprotocol v2 decoder. It reports both rates in points/s and
// ingest/raw as "ratio" (the goal is at least 0.5).
func Ingest(b *testing.B, writeURL string) {
	batch := pointtest.NetflowBatch(BatchLines)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	post := func() {
		resp, err := client.Post(writeURL, "text/plain", bytes.NewReader(batch))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST %s: %d %s", writeURL, resp.StatusCode, body)
		}
	}
	post() // warm the connection

	var raw, ingest time.Duration
	b.SetBytes(int64(len(batch)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if n := pointtest.RawDecode(batch); n != BatchLines {
			b.Fatalf("raw decode: %d points", n)
		}
		t1 := time.Now()
		post()
		ingest += time.Since(t1)
		raw += t1.Sub(t0)
	}
	points := float64(b.N * BatchLines)
	rawRate, ingestRate := points/raw.Seconds(), points/ingest.Seconds()
	b.ReportMetric(rawRate, "raw-points/s")
	b.ReportMetric(ingestRate, "ingest-points/s")
	b.ReportMetric(ingestRate/rawRate, "ratio")
}
