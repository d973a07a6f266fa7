package api

import (
	"bytes"
	"strings"
	"testing"
)

// TestWriteStrict: with strict=true a point DataKit would fix is refused
// with its code and warning; without it the point is fixed and counted.
func TestWriteStrict(t *testing.T) {
	for _, tc := range []struct{ category, body, warning string }{
		{"logging", "l,status=ok message=\"x\",a.b=1i", "dot_in_key: invalid field key `a.b'"},
		{"logging", "l,k.v=1,status=ok message=\"x\"", "invalid_tag_key: invalid tag key `k.v'"},
		{"logging", "l message=\"x\"", `add_required_kv: add required key-value "status": "info"`},
		{"object", "o,host=a cpus=4i", `add_required_kv: add required key-value "name": "default"`},
		{"object", "o,name=a k.v=4i", "dot_in_key"},
		{"metric", "m f=1i,s=\"x\"", "invalid_field_value_type: field(s) dropped"},
	} {
		s, f := newTestServer(t, Config{})
		w := serve(s, "POST", "/v1/write/"+tc.category+"?strict=true", strings.NewReader(tc.body))
		wantError(t, w, 400, "datakit.pointGotWarning", "line 1, key ")
		wantError(t, w, 400, "datakit.pointGotWarning", tc.warning)
		if len(f.batches) != 0 {
			t.Fatal("a strict rejection submitted points")
		}
		before := metricValue(t, s, `datakit_http_points_fixed_total{category="`+tc.category+`",warning="`+strings.SplitN(tc.warning, ":", 2)[0]+`"}`)
		if w := serve(s, "POST", "/v1/write/"+tc.category, strings.NewReader(tc.body)); w.Code != 200 || len(f.batches) != 1 {
			t.Fatalf("%s %q without strict: %d %s", tc.category, tc.body, w.Code, w.Body)
		}
		after := metricValue(t, s, `datakit_http_points_fixed_total{category="`+tc.category+`",warning="`+strings.SplitN(tc.warning, ":", 2)[0]+`"}`)
		if after != before+1 {
			t.Errorf("%s: fixes counted %v -> %v", tc.warning, before, after)
		}
	}
}

// TestWriteDataKitParams: DataKit's spellings of the write parameters.
func TestWriteDataKitParams(t *testing.T) {
	s, f := newTestServer(t, Config{})
	w := serve(s, "POST", "/v1/write/metric?encoding=gzip&echo_line_proto=true&precision=s",
		bytes.NewReader(gzipped(t, "m,b=2,a=1 f=1i 1700000000\n")))
	if w.Code != 200 || w.Body.String() != "m,a=1,b=2 f=1i 1700000000000000000\n" || f.points() != 1 {
		t.Fatalf("encoding=gzip, echo_line_proto: %d %q", w.Code, w.Body)
	}
	w = serve(s, "POST", "/v1/write/metric?echo_json=1&dry", strings.NewReader("m,a=1 f=1i 1700000000\n"))
	if w.Code != 200 || w.Body.String() != `[{"measurement":"m","tags":{"a":"1"},"fields":{"f":1},"time":1700000000000000000}]` {
		t.Fatalf("echo_json: %d %q", w.Code, w.Body)
	}
	w = serve(s, "POST", "/v1/write/metric?echo=json&dry", strings.NewReader(`[{"measurement":"m","fields":{"f":1.5}}]`),
		"Content-Type", "application/json")
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), `[{"measurement":"m","fields":{"f":1.5},"time":`) {
		t.Fatalf("echo=json: %d %q", w.Code, w.Body)
	}
	serve(s, "POST", "/v1/write/metric?ignore_global_tags=true", strings.NewReader("m f=1i"))
	if b := f.batches[len(f.batches)-1]; !b.IgnoreGlobalHostTags {
		t.Fatal("ignore_global_tags (DataKit's older name) not honoured")
	}
	// The query names the encoding even when the header says otherwise.
	w = serve(s, "POST", "/v1/write/metric?encoding=gzip", bytes.NewReader(gzipped(t, "m f=2i")), "Content-Encoding", "identity")
	if w.Code != 200 {
		t.Fatalf("encoding over header: %d %s", w.Code, w.Body)
	}
	wantError(t, serve(s, "POST", "/v1/write/metric?encoding=zz", strings.NewReader("m f=1i")), 415, "datakit.decodeBodyFailed", `"zz"`)
}

// TestWriteJSONLikeDataKit: null and object values are dropped, an empty
// measurement gets DataKit's default, and the codes are DataKit's.
func TestWriteJSONLikeDataKit(t *testing.T) {
	s, f := newTestServer(t, Config{})
	w := serve(s, "POST", "/v1/write/logging?echo=lp", strings.NewReader(`[{"fields":{"message":"m","x":null,"o":{}},"time":1700000000}]`),
		"Content-Type", "application/json")
	if w.Code != 200 || w.Body.String() != "__default message=\"m\",status=\"info\" 1700000000000000000\n" || f.points() != 1 {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	wantError(t, serve(s, "POST", "/v1/write/logging", strings.NewReader(`[{"measurement":1}]`), "Content-Type", "application/json"),
		400, "datakit.invalidJsonPoint", "point 0")
	wantError(t, serve(s, "POST", "/v1/write/logging?strict=1", strings.NewReader(`[{"measurement":"l","fields":{"message":"m","status":"ok","x":null}}]`),
		"Content-Type", "application/json"), 400, "datakit.pointGotWarning", "nil_field")
}

// TestWriteLongMessage: a log's message may be far longer than other
// values (DataKit takes 32 MiB), up to the body limit.
func TestWriteLongMessage(t *testing.T) {
	s, f := newTestServer(t, Config{MaxBodyBytes: 4 << 20})
	msg := strings.Repeat("x", 3<<20)
	if w := serve(s, "POST", "/v1/write/logging", strings.NewReader(`l,status=ok message="`+msg+`"`)); w.Code != 200 || f.points() != 1 {
		t.Fatalf("3 MiB message: %d %.200s", w.Code, w.Body)
	}
	wantError(t, serve(s, "POST", "/v1/write/logging", strings.NewReader(`l,status=ok other="`+msg+`"`)),
		400, codePointLimit, "(max_value_bytes)")
}

// TestWriteExtensions: DataKit's binary and array values are accepted and
// reach the pipeline; a metric drops the binary one as DataKit does.
func TestWriteExtensions(t *testing.T) {
	s, f := newTestServer(t, Config{})
	w := serve(s, "POST", "/v1/write/network?echo=lp", strings.NewReader("n,t=1 b=\"aGVsbG8=\"b,a=[1i,2i] 1700000000\n"))
	want := "n,t=1 a=[1i,2i],b=\"aGVsbG8=\"b 1700000000000000000\n"
	if w.Code != 200 || w.Body.String() != want || f.points() != 1 || f.batches[0].Points[0].String()+"\n" != want {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	w = serve(s, "POST", "/v1/write/metric?echo=lp", strings.NewReader("m b=\"aGk=\"b,a=[1.5,2] 1700000000\n"))
	if w.Code != 200 || w.Body.String() != "m a=[1.5,2] 1700000000000000000\n" {
		t.Fatalf("metric: %d %q", w.Code, w.Body)
	}
	w = serve(s, "POST", "/v1/write/network?echo=lp", strings.NewReader(`[{"measurement":"j","fields":{"a":["x","y"]},"time":1700000000}]`),
		"Content-Type", "application/json")
	if w.Code != 200 || w.Body.String() != "j a=[\"x\",\"y\"] 1700000000000000000\n" {
		t.Fatalf("json array: %d %q", w.Code, w.Body)
	}
	wantError(t, serve(s, "POST", "/v1/write/network", strings.NewReader("n a=[1i,2.5]")), 400, codeInvalidLinePoint, "elements must be of one kind")
}

func TestEchoJSONExtensions(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	w := serve(s, "POST", "/v1/write/network?echo=json&dry", strings.NewReader("n b=\"aGk=\"b,a=[1i] 1700000000\n"))
	if w.Code != 200 || w.Body.String() != `[{"measurement":"n","fields":{"a":"[1i]","b":"aGk="},"time":1700000000000000000}]` {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
}
