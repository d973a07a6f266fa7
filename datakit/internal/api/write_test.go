package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteAccepts(t *testing.T) {
	s, f := newTestServer(t, Config{})
	body := "cpu,host=a usage=1.5 1700000000\nmem free=3i 1700000000000\n"
	w := serve(s, "POST", "/v1/write/metric?input=cpu&ignore_global_host_tags=true", strings.NewReader(body))
	if w.Code != 200 || len(f.batches) != 1 {
		t.Fatalf("got %d %q, %d batches", w.Code, w.Body, len(f.batches))
	}
	b := f.batches[0]
	if b.Category != "metric" || b.Input != "cpu" || !b.IgnoreGlobalHostTags || len(b.Points) != 2 {
		t.Fatalf("batch %+v", b)
	}
	// Both timestamps were detected (s and ms) to the same instant.
	if !b.Points[0].Time.Equal(time.Unix(1_700_000_000, 0)) || !b.Points[1].Time.Equal(b.Points[0].Time) {
		t.Fatalf("times %v %v", b.Points[0].Time, b.Points[1].Time)
	}
}

// TestWriteAddsSubmitterTags: line protocol reaches the pipeline encoded
// with its tags (a point's own tag wins), unless ignore_global_host_tags;
// the echo shows the points as sent.
func TestWriteAddsSubmitterTags(t *testing.T) {
	s, f := newTestServer(t, Config{})
	f.tags = []point.Tag{{Key: "host", Value: "h"}, {Key: "zone", Value: "z"}}
	body := "cpu,host=own,a=1 v=1i 1700000000\ncpu v=2.5 1700000000\n"
	w := serve(s, "POST", "/v1/write/metric?echo=lp", strings.NewReader(body))
	if w.Code != 200 || w.Body.String() != "cpu,a=1,host=own v=1i 1700000000000000000\ncpu v=2.5 1700000000000000000\n" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	w = serve(s, "POST", "/v1/write/metric?ignore_global_host_tags", strings.NewReader(body))
	if w.Code != 200 || len(f.batches) != 2 {
		t.Fatalf("got %d %q, %d batches", w.Code, w.Body, len(f.batches))
	}
	var got []string
	for _, b := range f.batches {
		for _, p := range b.Points {
			got = append(got, p.String())
		}
	}
	want := "[cpu,a=1,host=own,zone=z v=1i 1700000000000000000 cpu,host=h,zone=z v=2.5 1700000000000000000" +
		" cpu,a=1,host=own v=1i 1700000000000000000 cpu v=2.5 1700000000000000000]"
	if fmt.Sprint(got) != want {
		t.Fatalf("submitted %v\nwant %s", got, want)
	}
}

func TestWriteEchoDryGzipJSON(t *testing.T) {
	s, f := newTestServer(t, Config{})
	w := serve(s, "POST", "/v1/write/logging?echo=lp&dry=true&precision=s",
		bytes.NewReader(gzipped(t, "log,b=2,a=1 msg=\"hi\" 1700000000\n")), "Content-Encoding", "gzip")
	if w.Code != 200 || w.Body.String() != "log,a=1,b=2 msg=\"hi\",status=\"info\" 1700000000000000000\n" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	if len(f.batches) != 0 {
		t.Fatal("dry run submitted a batch")
	}
	w = serve(s, "POST", "/v1/write/object?echo=lp&precision=ms",
		strings.NewReader(`[{"measurement":"host","tags":{"name":"n1"},"fields":{"cpus":4},"time":1700000000000}]`),
		"Content-Type", "application/json; charset=utf-8")
	if w.Code != 200 || w.Body.String() != "host,name=n1 cpus=4i 1700000000000000000\n" || f.points() != 1 {
		t.Fatalf("got %d %q, %d points", w.Code, w.Body, f.points())
	}
}

func TestWriteErrors(t *testing.T) {
	var tags strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&tags, ",t%05d=v", i)
	}
	many := "ok f=1\nm" + tags.String() + " f=1\n"
	for _, tc := range []struct {
		name, target, body string
		header             []string
		status             int
		code, msg          string
	}{
		{"unknown category", "/v1/write/metrics", "m f=1", nil, 400, codeInvalidCategory, "valid categories: metric, logging, object, custom_object, keyevent, network, tracing, security, rum"},
		{"empty", "/v1/write/metric", "", nil, 400, codeEmptyBody, "empty body"},
		{"empty gzip", "/v1/write/metric", "", []string{"Content-Encoding", "gzip"}, 400, codeEmptyBody, "empty body"},
		{"comments only", "/v1/write/metric", "# nothing\n\n", nil, 400, codeNoPoints, "no points"},
		{"truncated", "/v1/write/metric", "m f=1\nm f=2\nm,t=1 f=", nil, 400, codeInvalidLinePoint, "line 3, column 9: expected field value"},
		{"bad escape", "/v1/write/metric", "m f=1\nm,t\\=1 f=1", nil, 400, codeInvalidLinePoint, "line 2, column 3: expected '='"},
		{"invalid utf8", "/v1/write/metric", "m f=1\nm,t=\xc3\x28 f=1", nil, 400, codeInvalidLinePoint, "line 2, column 5: invalid utf-8"},
		{"10000 tags", "/v1/write/metric", many, nil, 400, codePointLimit, `line 2, key "t00256": more than 256 tags`},
		{"json", "/v1/write/metric", `[{"measurement":"m","fields":{"f":"x"}}]`, []string{"Content-Type", "application/json"}, 400, codeInvalidJSONPoint, `point 0: no fields left`},
		{"json tag", "/v1/write/metric", `[{"measurement":"m","tags":{"t":1},"fields":{"f":1}}]`, []string{"Content-Type", "application/json"}, 400, "datakit.invalidJsonPoint", `point 0, key "tags.t"`},
		{"json utf8", "/v1/write/metric", "[{\"measurement\":\"\xff\"}]", []string{"Content-Type", "application/json"}, 400, codeInvalidJSONPoint, `invalid UTF-8 at line 1, column 18`},
		{"precision", "/v1/write/metric?precision=d", "m f=1", nil, 400, "datakit.invalidPrecision", "unknown precision"},
		{"echo", "/v1/write/metric?echo=pbjson", "m f=1", nil, 400, "datakit.invalidRequest", "unknown echo"},
		{"dry", "/v1/write/metric?dry=maybe", "m f=1", nil, 400, codeInvalidParameter, "not a boolean"},
		{"bad gzip", "/v1/write/metric", "not gzip", []string{"Content-Encoding", "gzip"}, 400, "datakit.decodeBodyFailed", "invalid gzip"},
		{"bad gzip by query", "/v1/write/metric?encoding=gzip", "not gzip", nil, 400, codeInvalidEncoding, "invalid gzip"},
		{"encoding", "/v1/write/metric", "m f=1", []string{"Content-Encoding", "br"}, 415, codeInvalidEncoding, `unsupported Content-Encoding "br"`},
		{"too large", "/v1/write/metric", strings.Repeat("m f=1\n", 40000), nil, 413, codeBodyTooLarge, "more than max_body_bytes (200000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f := newTestServer(t, Config{MaxBodyBytes: 200_000})
			w := serve(s, "POST", tc.target, strings.NewReader(tc.body), tc.header...)
			wantError(t, w, tc.status, tc.code, tc.msg)
			if len(f.batches) != 0 {
				t.Fatal("a rejected request submitted points")
			}
		})
	}
}

func TestWriteBusy(t *testing.T) {
	s, f := newTestServer(t, Config{})
	f.err = fmt.Errorf("queue: %w", pipeline.ErrBusy)
	w := serve(s, "POST", "/v1/write/network", strings.NewReader("m f=1"))
	wantError(t, w, 429, codeBusy, "retry later")
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	f.err = fmt.Errorf("disk full")
	wantError(t, serve(s, "POST", "/v1/write/network", strings.NewReader("m f=1")), 503, codeUnavailable, "disk full")
}

// TestWriteHugeBodies runs the hostile bodies against a real listener and
// checks that the daemon keeps serving after each.
func TestWriteHugeBodies(t *testing.T) {
	s, f := newTestServer(t, Config{Listen: "127.0.0.1:0", MaxBodyBytes: 4 << 20})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	url := "http://" + s.Addr() + "/v1/write/metric"
	const hundredMB = 100 << 20
	line := "cpu,host=h usage=1.5\n"

	post := func(body io.Reader, length int64, header ...string) (*http.Response, string) {
		req, err := http.NewRequest("POST", url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	check := func(name string, resp *http.Response, body string, status int, msg string) {
		t.Helper()
		if resp.StatusCode != status || !strings.Contains(body, msg) {
			t.Errorf("%s: got %d %s, want %d containing %q", name, resp.StatusCode, body, status, msg)
		}
		// Still serving.
		if resp, body := post(strings.NewReader(line), -1); resp.StatusCode != 200 {
			t.Fatalf("after %s: %d %s", name, resp.StatusCode, body)
		}
	}

	resp, body := post(repeat(line, hundredMB), hundredMB)
	check("100 MB with length", resp, body, 413, "body is 104857600 bytes, more than max_body_bytes")
	resp, body = post(repeat(line, hundredMB), -1) // chunked: no length to refuse up front
	check("100 MB chunked", resp, body, 413, `"datakit.bodyTooLarge","message":"body is more than max_body_bytes`)

	// The bomb: 100 gzip members of 10 MiB of newlines each, 1000 MiB
	// inflated from about 1 MiB; refused once 4 MiB are inflated.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte{'\n'}, 10<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 100)
	start := time.Now()
	resp, body = post(bytes.NewReader(bomb), int64(len(bomb)), "Content-Encoding", "gzip")
	check("gzip bomb", resp, body, 413, "decompressed body is more than max_body_bytes (4194304)")
	t.Logf("gzip bomb of %d bytes refused in %v", len(bomb), time.Since(start))

	if n := f.points(); n != 3 {
		t.Fatalf("%d points accepted, want the 3 good ones", n)
	}
}

// repeat streams s over and over up to n bytes without holding them.
func repeat(s string, n int64) io.Reader {
	return io.LimitReader(&cycle{s: s}, n)
}

type cycle struct {
	s   string
	off int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], c.s[c.off:])
		n += k
		c.off = (c.off + k) % len(c.s)
	}
	return n, nil
}

func TestWriteLimitsFromConfig(t *testing.T) {
	s, _ := newTestServer(t, Config{Limits: point.Limits{MaxFields: 1}})
	wantError(t, serve(s, "POST", "/v1/write/metric", strings.NewReader("m a=1,b=2")), 400, codePointLimit, `line 1, key "b": more than 1 fields`)
}
