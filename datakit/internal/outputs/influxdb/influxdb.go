// Package influxdb writes line protocol over HTTP to InfluxDB 1.x (/write),
// InfluxDB 2.x/3.x (/api/v2/write) and VictoriaMetrics (its Influx endpoints).
package influxdb

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/point"
)

var valuesConverted = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "datakit_output_values_converted_total",
	Help: "DataKit binary and array field values an output could not hold and wrote as strings, by output and kind.",
}, []string{"output", "kind"})

// Output is one configured destination.
type Output struct {
	name   string // the instance's name, for metrics
	cfg    Config
	base   url.URL // endpoint with the fixed query parameters
	client *http.Client
}

// BatchLimits implements outputs.Batching.
func (o *Output) BatchLimits() (int, int) { return o.cfg.BatchPoints, o.cfg.BatchBytes }

// RetryBackoff implements outputs.Backoff.
func (o *Output) RetryBackoff() (time.Duration, time.Duration) { return o.cfg.RetryMin, o.cfg.RetryMax }

// endpoint returns the write URL for category ({category} in database or bucket is replaced).
func (o *Output) endpoint(category string) string {
	u := o.base
	q := u.Query()
	if o.cfg.API == "v2" {
		q.Set("bucket", strings.ReplaceAll(o.cfg.Bucket, "{category}", category))
	} else {
		q.Set("db", strings.ReplaceAll(o.cfg.Database, "{category}", category))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Write POSTs lp. Network errors, 5xx and 429 are returned for a retry; any
// other non-2xx answer wraps outputs.ErrPermanent with the server's message.
func (o *Output) Write(ctx context.Context, category string, lp []byte) error {
	// Line protocol here has no binary or array values: they go as strings.
	lp, bins, arrs := point.PlainLP(lp)
	if bins+arrs > 0 {
		valuesConverted.WithLabelValues(o.name, "binary").Add(float64(bins))
		valuesConverted.WithLabelValues(o.name, "array").Add(float64(arrs))
	}
	if o.cfg.CategoryTag != "" {
		lp = addTag(lp, o.cfg.CategoryTag, category)
	}
	body, err := o.body(lp)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint(category), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", outputs.ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if o.cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	switch {
	case o.cfg.API == "v2" && o.cfg.Token != "":
		req.Header.Set("Authorization", "Token "+o.cfg.Token)
	case o.cfg.Username != "":
		req.SetBasicAuth(o.cfg.Username, o.cfg.Password)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return fmt.Errorf("influxdb write to %s: %w", o.base.Host, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("influxdb write to %s: %s: %s", o.base.Host, resp.Status, bytes.TrimSpace(msg))
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return err
	}
	return fmt.Errorf("%w: %v", outputs.ErrPermanent, err)
}

func (o *Output) body(lp []byte) ([]byte, error) {
	if !o.cfg.Gzip {
		return lp, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(lp); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Close releases idle connections.
func (o *Output) Close() error {
	o.client.CloseIdleConnections()
	return nil
}
