package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestSupervisorLosesNothingAnswered200 posts 10,000 points in batches while
// the backends and the supervisor itself are killed and restarted, and
// checks that every point answered 200 lands, with its value, in the local
// files, a real VictoriaMetrics and a real InfluxDB.
func TestSupervisorLosesNothingAnswered200(t *testing.T) {
	vm := testenv.StartVictoriaMetrics(t)
	idb := testenv.StartInfluxDB(t)
	idb.Post("/query", url.Values{"q": {"CREATE DATABASE e2e"}})
	s := StartSupervisor(t, fmt.Sprintf(`
[pipeline]
  retry_max = "500ms"
[global_tags]
  cluster = "c1"
[[outputs.local]]
[[outputs.influxdb]]
  url = %q
  database = "e2e"
  retry_min = "50ms"
  retry_max = "500ms"
[[outputs.influxdb]]
  url = %q
  database = "e2e"
  retry_min = "50ms"
  retry_max = "500ms"
`, vm.URL, idb.URL), nil)

	const total, batch = 10_000, 100
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	tsOf := func(i int) int64 { return base.Add(time.Duration(i) * 10 * time.Millisecond).UnixNano() }
	for b := 0; b < total/batch; b++ {
		switch b {
		case 20:
			vm.Kill(syscall.SIGTERM) // VictoriaMetrics itself loses acknowledged rows on SIGKILL
		case 35:
			vm.Restart()
		case 40:
			idb.Kill(syscall.SIGKILL)
		case 55:
			idb.Restart()
		case 60:
			// The supervisor dies mid-stream; what it answered 200 must survive.
			syscall.Kill(s.Proc.Pid(), syscall.SIGKILL)
			s.Proc.Wait()
			s.Start()
		}
		var body strings.Builder
		for i := b * batch; i < (b+1)*batch; i++ {
			fmt.Fprintf(&body, "e2e,series=s%d value=%di %d\n", i%10, i, tsOf(i))
		}
		postUntil200(t, s, "/v1/write/metric?input=e2e", body.String())
	}

	check := func(store string, samples []testenv.Sample) (missing int) {
		got := map[int64]float64{}
		for _, smp := range samples {
			if smp.Tags["host"] != "e2e-host" || smp.Tags["cluster"] != "c1" {
				t.Fatalf("%s: sample without the global tags: %v", store, smp.Tags)
			}
			got[smp.TimeNs] = smp.Value
		}
		for i := 0; i < total; i++ {
			v, ok := got[tsOf(i)]
			if !ok {
				missing++
			} else if v != float64(i) {
				t.Fatalf("%s: point %d holds %v", store, i, v)
			}
		}
		if len(got) != total-missing {
			t.Fatalf("%s: %d points that were never sent", store, len(got)-(total-missing))
		}
		return missing
	}
	localDir := filepath.Join(s.DataDir, "local", "metric")
	stores := map[string]func() []testenv.Sample{
		"local files":     func() []testenv.Sample { return testenv.LPFileSamples(t, localDir, "e2e", "value") },
		"VictoriaMetrics": func() []testenv.Sample { return vm.VMSamples("e2e_value") },
		"InfluxDB":        func() []testenv.Sample { return idb.InfluxSamples("e2e", "e2e", "value") },
	}
	for name, read := range stores {
		var missing int
		testenv.Eventually(t, 90*time.Second, name+" to hold all points", func() bool {
			missing = check(name, read())
			return missing == 0
		})
		t.Logf("%s: %d of %d points, values equal", name, total, total)
	}
	// At-least-once: the local files may hold a batch twice after the crash.
	if n := len(testenv.LPFileSamples(t, localDir, "e2e", "value")); n != total {
		t.Logf("local files: %d lines for %d points (a batch redelivered after the SIGKILL)", n, total)
	}
}

// postUntil200 retries one batch like a well-behaved agent: on a refused
// connection (the supervisor restarting), 429 or 5xx.
func postUntil200(t *testing.T, s *Supervisor, path, body string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, answer := s.Post(path, strings.NewReader(body), nil)
		if status == 200 {
			return
		}
		if status != 0 && status != 429 && status < 500 {
			t.Fatalf("POST %s: %d %s", path, status, answer)
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST %s: still %d %s after 60s", path, status, answer)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSupervisorRejectsBadInput sends broken and hostile bodies to the real
// binary and expects the documented status, error code and position, with
// the daemon still serving afterwards.
func TestSupervisorRejectsBadInput(t *testing.T) {
	s := StartSupervisor(t, "", nil)
	manyTags := "m" + strings.Repeat(",", 0)
	for i := 0; i < 10_000; i++ {
		manyTags += ",t" + strconv.Itoa(i) + "=v"
	}
	manyTags += " f=1\n"
	cases := []struct {
		name, path string
		body       io.Reader
		headers    map[string]string
		status     int
		want       []string
	}{
		{"truncated line", "/v1/write/metric", strings.NewReader("cpu,host=a usage=1\ncpu,host=b usa"), nil, 400,
			[]string{"datakit.invalidLinePoint", "line 2"}},
		{"bad escape", "/v1/write/logging", strings.NewReader("log message=\"ok\"\nlog,k=v message=\"unterminated\n"), nil, 400,
			[]string{"datakit.invalidLinePoint", "line 2"}},
		{"invalid utf-8", "/v1/write/metric", strings.NewReader("cpu,host=\xff\xfe usage=1\n"), nil, 400,
			[]string{"line 1"}},
		{"unknown category", "/v1/write/nope", strings.NewReader("cpu usage=1\n"), nil, 400,
			[]string{"datakit.invalidCategory", "metric", "logging"}},
		{"10,000 tags", "/v1/write/metric", strings.NewReader(manyTags), nil, 400,
			[]string{"datakit.pointLimit", "line 1"}},
		{"empty body", "/v1/write/metric", strings.NewReader(""), nil, 400, []string{"datakit.emptyBody"}},
		{"100 MB body", "/v1/write/metric", io.LimitReader(repeatReader("cpu,host=a usage=1 1700000000000000000\n"), 100<<20), nil, 413, nil},
		{"gzip bomb", "/v1/write/metric", bytes.NewReader(gzipBomb(t, 1<<30)), map[string]string{"Content-Encoding": "gzip"}, 413, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, answer := s.Post(tc.path, tc.body, tc.headers)
			if status != tc.status {
				t.Fatalf("status %d (%s), want %d", status, answer, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(answer, w) {
					t.Errorf("answer %q does not contain %q", answer, w)
				}
			}
			if code, _ := s.Get("/v1/ping"); code != 200 {
				t.Fatalf("ping after %s: %d", tc.name, code)
			}
		})
	}
	// A rejected batch left nothing behind, and good data still flows.
	if status, answer := s.Post("/v1/write/metric", strings.NewReader("good,host=a v=1i\n"), nil); status != 200 {
		t.Fatalf("good write after the bad ones: %d %s", status, answer)
	}
	testenv.Eventually(t, 5*time.Second, "the good point in /v1/query", func() bool {
		_, body := s.Get("/v1/query?category=metric&since=1m")
		return strings.Contains(body, "good,") && !strings.Contains(body, "cpu,")
	})
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

// gzipBomb compresses n zero bytes: about 1 MB that inflates to n.
func gzipBomb(t *testing.T, n int64) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
