package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"netobs.local/agent/datakit/internal/point"
)

// FuzzWrite drives the write handler with arbitrary bodies, encodings and
// parameters: it must answer 200 or a 4xx with an error code, never panic
// (500), and what it accepts with echo=lp must decode back to as many points.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("m,t=1 f=1i 1700000000\n"), false, false, "precision=s")
	f.Add([]byte(`[{"measurement":"m","fields":{"f":1}}]`), true, false, "")
	f.Add([]byte("m f=\"a\nb\"\n# c\n"), false, true, "dry=1")
	f.Add([]byte("m,t=\xff f="), false, false, "precision=h&ignore_global_host_tags")
	f.Fuzz(func(t *testing.T, body []byte, jsonBody, gz bool, query string) {
		s, fp := newTestServer(t, Config{MaxBodyBytes: 1 << 16})
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q.Set("echo", "lp")
		header := []string{}
		if jsonBody {
			header = append(header, "Content-Type", "application/json")
		}
		payload := body
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(body)
			zw.Close()
			payload = b.Bytes()
			header = append(header, "Content-Encoding", "gzip")
		}
		w := serve(s, "POST", "/v1/write/metric?"+q.Encode(), bytes.NewReader(payload), header...)
		switch {
		case w.Code == http.StatusOK:
			pts, err := point.DecodeLPBytes(w.Body.Bytes(), point.Options{Precision: point.Nanosecond})
			if err != nil {
				t.Fatalf("echo %q does not decode: %v", w.Body, err)
			}
			if len(fp.batches) == 1 && len(pts) != len(fp.batches[0].Points) {
				t.Fatalf("echoed %d points, submitted %d", len(pts), len(fp.batches[0].Points))
			}
		case w.Code >= 400 && w.Code < 500:
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !strings.HasPrefix(e.ErrorCode, "datakit.") || e.Message == "" {
				t.Fatalf("status %d with body %q", w.Code, w.Body)
			}
			if len(fp.batches) != 0 {
				t.Fatal("rejected request submitted points")
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
