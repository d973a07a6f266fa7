package deliver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

func testSender(t *testing.T, h http.HandlerFunc) (*Sender, func()) {
	srv := httptest.NewServer(h)
	s, err := NewSender(strings.TrimPrefix(srv.URL, "http://"), 4, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.MinBackoff, s.MaxBackoff, s.MaxElapsed, s.ErrorEvery = time.Millisecond, 5*time.Millisecond, 2*time.Second, 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done; srv.Close() }
}

var pts = []lp.Point{{Name: "netflow", Tags: []lp.Tag{{Key: "pid", Value: "1"}}, Fields: []lp.Field{lp.Int("bytes_read", 5)}, Time: time.Unix(1, 0)}}

func TestSenderRetriesBackPressureAndServerErrors(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []string
	s, stop := testSender(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/lasterror" {
			t.Errorf("no error expected, got a lasterror post")
			return
		}
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, r.URL.Path+"?"+r.URL.RawQuery+" "+string(b))
			mu.Unlock()
		}
	})
	s.Write("network", "ebpf-net/netflow", pts)
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats.Points.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	want := "/v1/write/network?input=" + url.QueryEscape("ebpf-net/netflow") + " netflow,pid=1 bytes_read=5i 1000000000\n"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	if calls.Load() != 3 || s.Stats.Errors.Load() != 2 || s.Stats.Drops.Load() != 0 {
		t.Fatalf("calls %d errors %d drops %d, want 3 2 0", calls.Load(), s.Stats.Errors.Load(), s.Stats.Drops.Load())
	}
}

func TestSenderDoesNotRetryClientErrorsAndReportsThem(t *testing.T) {
	var writes atomic.Int32
	lastErr := make(chan string, 1)
	s, stop := testSender(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/lasterror" {
			b, _ := io.ReadAll(r.Body)
			lastErr <- string(b)
			return
		}
		writes.Add(1)
		http.Error(w, "bad line protocol", http.StatusBadRequest)
	})
	defer stop()
	s.Write("network", "ebpf-net/netflow", pts)
	select {
	case body := <-lastErr:
		if !strings.Contains(body, `"input":"ebpf"`) || !strings.Contains(body, "400") || !strings.Contains(body, `"source":"ebpf-net/netflow"`) {
			t.Fatalf("lasterror body %s", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no /v1/lasterror post")
	}
	if writes.Load() != 1 || s.Stats.Drops.Load() != 1 {
		t.Fatalf("writes %d drops %d, want 1 and 1", writes.Load(), s.Stats.Drops.Load())
	}
}

func TestSenderQueueOverflowIsCounted(t *testing.T) {
	block := make(chan struct{})
	s, stop := testSender(t, func(w http.ResponseWriter, r *http.Request) { <-block })
	for i := 0; i < 20; i++ {
		s.Write("network", "x", pts)
	}
	if d := s.Stats.Drops.Load(); d < 15 {
		t.Fatalf("drops %d, want >= 15 (queue of 4, one in flight)", d)
	}
	close(block)
	stop()
}

func TestSplitHostPort(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:9529": "127.0.0.1:9529", "[::]:1": "[::1]:1", "10.0.0.1:2": "10.0.0.1:2", "[fe80::1]:3": "[fe80::1]:3"} {
		h, p, err := splitHostPort(in)
		if err != nil || h+":"+p != want {
			t.Errorf("%s: got %s:%s %v, want %s", in, h, p, err, want)
		}
	}
	if _, _, err := splitHostPort("nohost"); err == nil {
		t.Error("missing port accepted")
	}
}
