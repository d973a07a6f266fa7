package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// fakePipeline records submitted batches and answers queries from them.
type fakePipeline struct {
	mu      sync.Mutex
	batches []*pipeline.Batch
	err     error // returned by Submit when set
	queries []pipeline.Query
	tags    []point.Tag // what it adds to every point (pipeline.Tagger)
}

func (f *fakePipeline) Tags() []point.Tag { return f.tags }

func (f *fakePipeline) Submit(_ context.Context, b *pipeline.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if len(b.Points) == 0 {
		// Keep what the pipeline would store, as points the tests can inspect.
		pts, err := point.DecodeLPBytes(bytes.Clone(b.Encoded), point.Options{Precision: point.Nanosecond})
		if err != nil || len(pts) != b.Count {
			return fmt.Errorf("fake pipeline: Encoded holds %d points, Count says %d: %v", len(pts), b.Count, err)
		}
		b.Points = pts
	}
	f.batches = append(f.batches, b)
	return nil
}

func (f *fakePipeline) Query(q pipeline.Query) []*point.Point {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	var out []*point.Point
	for _, b := range f.batches {
		out = append(out, b.Points...)
	}
	return out
}

func (f *fakePipeline) points() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, b := range f.batches {
		n += len(b.Points)
	}
	return n
}

func newTestServer(t testing.TB, cfg Config) (*Server, *fakePipeline) {
	t.Helper()
	f := &fakePipeline{}
	return New(cfg, f, f, nil), f
}

// serve runs one request from a loopback peer through the handler.
func serve(s *Server, method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

// wantError checks an error answer's status, code and message.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code, msg string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("status %d, body %q is not an error answer: %v", w.Code, w.Body.String(), err)
	}
	if w.Code != status || e.ErrorCode != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("got %d %s %q, want %d %s containing %q", w.Code, e.ErrorCode, e.Message, status, code, msg)
	}
}

type panicker struct{}

func (panicker) Submit(context.Context, *pipeline.Batch) error { panic("boom") }

// metricValue scrapes one series from GET /metrics (0 when absent).
func metricValue(t *testing.T, s *Server, series string) float64 {
	t.Helper()
	w := serve(s, "GET", "/metrics", nil)
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// serveFrom runs one GET from the given peer address.
func serveFrom(s *Server, peer, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	req.RemoteAddr = peer
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}
