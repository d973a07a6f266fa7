package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/outputs/local"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// benchBatch is a batch of 500 network-flow-like points.
func benchBatch() *pipeline.Batch {
	b := &pipeline.Batch{Category: "network"}
	now := time.Now()
	for i := 0; i < 500; i++ {
		b.Points = append(b.Points, &point.Point{
			Name: "netflow",
			Tags: []point.Tag{{Key: "dst_ip", Value: fmt.Sprintf("10.0.%d.%d", i/250, i%250)}, {Key: "dst_port", Value: "443"},
				{Key: "family", Value: "IPv4"}, {Key: "src_ip", Value: "192.168.1.10"}, {Key: "transport", Value: "tcp"}},
			Fields: []point.Field{{Key: "bytes_read", Value: lineprotocol.IntValue(int64(i * 100))},
				{Key: "bytes_written", Value: lineprotocol.IntValue(int64(i * 50))},
				{Key: "rtt", Value: lineprotocol.IntValue(1500)}},
			Time: now.Add(time.Duration(i)),
		})
	}
	return b
}

// BenchmarkSubmitToLocal measures points/s through Submit to the local output,
// including the time to drain the queue (delivery, fsync), against encoding
// the same points with lineprotocol.Encoder alone. The two alternate in
// rounds so that load from elsewhere on the machine hits both alike.
func BenchmarkSubmitToLocal(b *testing.B) {
	batch := benchBatch()
	dir := b.TempDir()
	out, err := local.DefaultConfig().Build(outputs.Env{Name: "local", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Options{Hostname: "bench", GlobalTags: map[string]string{"cluster": "c1"},
		Outputs: map[string]outputs.Output{"local": out}, DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	var enc lineprotocol.Encoder
	var encodeTime, pipelineTime time.Duration
	const round = 20
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		n := min(round, b.N-done)
		start := time.Now()
		for i := 0; i < n; i++ {
			enc.Reset()
			for _, p := range batch.Points {
				enc.StartLine(p.Name)
				for _, t := range p.Tags {
					enc.AddTag(t.Key, t.Value)
				}
				for _, f := range p.Fields {
					enc.AddField(f.Key, f.Value)
				}
				enc.EndLine(p.Time)
			}
		}
		encodeTime += time.Since(start)
		start = time.Now()
		for i := 0; i < n; i++ {
			if err := p.Submit(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		pipelineTime += time.Since(start)
	}
	points := float64(b.N * len(batch.Points))
	rate, baseline := points/pipelineTime.Seconds(), points/encodeTime.Seconds()
	b.ReportMetric(rate, "points/s")
	b.ReportMetric(baseline, "encode-points/s")
	b.ReportMetric(rate/baseline, "ratio")
}
