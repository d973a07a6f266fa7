package deliver

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

func fields(p lp.Point) map[string]int64 {
	out := map[string]int64{}
	for _, f := range p.Fields {
		out[f.Key] = f.Value.IntV()
	}
	return out
}

// One batch refused (400: dropped), one retried (503, then delivered):
// the self point says so, and the next one has only what happened since.
func TestSenderSelfPointCountsDeliveryDropsAndErrors(t *testing.T) {
	var calls atomic.Int32
	s, stop := testSender(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/lasterror" {
			return
		}
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusBadRequest)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	s.Write("network", "a", pts)
	s.Write("network", "b", append(pts, pts...))
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats.Points.Load()+s.Stats.Drops.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	p := s.SelfPoint(time.Unix(2, 0), []lp.Tag{{Key: "host", Value: "h"}})
	if p.Name != measure.Collector.Name || len(p.Tags) != 2 || p.Tags[0] != (lp.Tag{Key: "plugin", Value: "sender"}) {
		t.Fatalf("self point %+v", p)
	}
	want := map[string]int64{"points": 2, "send_errors": 2, "send_drops": 1}
	if got := fields(p); len(got) != 5 || got["points"] != 2 || got["send_errors"] != 2 || got["send_drops"] != 1 ||
		got["queue_depth"] != 0 || got["queue_capacity"] != int64(cap(s.queue)) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for _, f := range p.Fields {
		if _, ok := measure.Collector.FieldType(f.Key); !ok {
			t.Errorf("field %s is not declared in %s", f.Key, measure.Collector.Name)
		}
	}
	if got := fields(s.SelfPoint(time.Unix(3, 0), nil)); got["points"]+got["send_errors"]+got["send_drops"] != 0 {
		t.Fatalf("second point %v, want deltas of 0", got)
	}
}

// ReportSelf posts its points through the sender itself, one per interval
// and a last one when stopped, which counts the earlier ones delivered.
func TestSenderReportsItself(t *testing.T) {
	got := make(chan string, 1024)
	s, stop := testSender(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/lasterror" {
			got <- r.URL.Path + "?" + r.URL.RawQuery + " " + string(b)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.ReportSelf(ctx, 20*time.Millisecond, []lp.Tag{{Key: "host", Value: "h"}}); close(done) }()
	first := <-got
	for s.Stats.Points.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	stop() // delivers the last point
	close(got)
	if !strings.HasPrefix(first, "/v1/write/metric?input=datakit-ebpf%2Fdatakit_ebpf datakit_ebpf,host=h,plugin=sender points=0i,send_errors=0i,send_drops=0i,queue_depth=") {
		t.Fatalf("first self post %q", first)
	}
	// The process's own point rides with it: CPU over the interval, and
	// an RSS this test process plausibly has (more than 1 MiB).
	m := regexp.MustCompile(`datakit_ebpf,host=h,plugin=collector cpu_millicores=(\d+)i,rss_bytes=(\d+)i `).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("no plugin=collector point in %q", first)
	}
	if rss, _ := strconv.ParseInt(m[2], 10, 64); rss < 1<<20 {
		t.Errorf("rss_bytes %d", rss)
	}
	var last string
	for last = range got {
	}
	if !strings.Contains(last, "plugin=sender points=") || strings.Contains(last, "points=0i") {
		t.Fatalf("last self post %q: the earlier ones were delivered", last)
	}
}
