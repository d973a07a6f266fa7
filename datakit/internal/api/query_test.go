package api

import (
	"strings"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

func TestQuery(t *testing.T) {
	s, f := newTestServer(t, Config{})
	if w := serve(s, "POST", "/v1/write/network", strings.NewReader("netflow,dst_ip=::1 bytes=3i 1700000000\n")); w.Code != 200 {
		t.Fatal(w.Code, w.Body)
	}
	w := serve(s, "GET", "/v1/query?category=network&measurement=netflow&since=1m&tag=dst_ip:::1&tag=host:h", nil)
	if w.Code != 200 || w.Body.String() != "netflow,dst_ip=::1 bytes=3i 1700000000000000000\n" {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	want := pipeline.Query{Category: "network", Measurement: "netflow", Since: time.Minute,
		Tags: []point.Tag{{Key: "dst_ip", Value: "::1"}, {Key: "host", Value: "h"}}}
	got := f.queries[0]
	if got.Category != want.Category || got.Measurement != want.Measurement || got.Since != want.Since ||
		len(got.Tags) != 2 || got.Tags[0] != want.Tags[0] || got.Tags[1] != want.Tags[1] {
		t.Fatalf("query %+v", got)
	}

	wantError(t, serve(s, "GET", "/v1/query?category=nope", nil), 400, codeInvalidCategory, "valid categories")
	wantError(t, serve(s, "GET", "/v1/query?since=soon", nil), 400, codeInvalidParameter, "not a duration")
	wantError(t, serve(s, "GET", "/v1/query?tag=novalue", nil), 400, codeInvalidParameter, "not key:value")

	noStore := New(Config{}, f, nil, nil)
	wantError(t, serve(noStore, "GET", "/v1/query", nil), 501, codeNotImplemented, "disabled")
}
