package api

import (
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	before := metricValue(t, s, `datakit_http_points_received_total{category="security"}`)
	serve(s, "POST", "/v1/write/security", strings.NewReader("a f=1\nb f=2\n"))
	serve(s, "POST", "/v1/write/security", strings.NewReader("a f="))
	if got := metricValue(t, s, `datakit_http_points_received_total{category="security"}`) - before; got != 2 {
		t.Errorf("points received %v, want 2", got)
	}
	w := serve(s, "GET", "/metrics", nil)
	body := w.Body.String()
	for _, want := range []string{
		`datakit_http_points_received_total{category="security"}`,
		`datakit_http_write_rejected_total{category="security",error_code="datakit.invalidLinePoint"}`,
		`datakit_http_request_duration_seconds_count{method="POST",route="/v1/write/:category",status="400"}`,
		`datakit_http_request_duration_seconds_count{method="POST",route="/v1/write/:category",status="200"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
