package influxdb

import (
	dto "github.com/prometheus/client_model/go"

	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"netobs.local/agent/datakit/internal/outputs"
)

func build(t *testing.T, c *Config) *Output {
	t.Helper()
	o, err := c.Build(outputs.Env{Name: "influxdb"})
	if err != nil {
		t.Fatal(err)
	}
	return o.(*Output)
}

func TestSampleDecodes(t *testing.T) {
	reg, _ := outputs.Get("influxdb")
	var tables struct{ Outputs map[string][]*Config }
	md, err := toml.Decode(reg.Sample, &tables)
	if err != nil || len(md.Undecoded()) > 0 {
		t.Fatalf("sample: %v, undecoded %v", err, md.Undecoded())
	}
	if _, err := tables.Outputs["influxdb"][0].Build(outputs.Env{}); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	for key, mutate := range map[string]func(*Config){
		"url":             func(c *Config) { c.URL = "ftp://x" },
		"api":             func(c *Config) { c.API = "v9" },
		"org":             func(c *Config) { c.API = "v2" },
		"timeout":         func(c *Config) { c.Timeout = 0 },
		"extra_labels[0]": func(c *Config) { c.ExtraLabels = []string{"novalue"} },
		"retry_min":       func(c *Config) { c.RetryMax = 1 },
		"batch_points":    func(c *Config) { c.BatchPoints = -1 },
		"database":        func(c *Config) { c.Database = "" },
	} {
		c := DefaultConfig()
		c.URL = "http://127.0.0.1:1"
		mutate(c)
		_, err := c.Build(outputs.Env{})
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("%s: error %v does not name the key", key, err)
		}
	}
}

func TestRequestsAndStatusClasses(t *testing.T) {
	type seen struct {
		path, query, auth, body string
	}
	var got []seen
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		got = append(got, seen{r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(b)})
		w.WriteHeader(status)
		io.WriteString(w, `{"error":"field type conflict"}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	v1 := DefaultConfig()
	v1.URL, v1.Database, v1.Username, v1.Password, v1.CategoryTag = srv.URL+"/prefix/", "dk_{category}", "u", "p", "category"
	o := build(t, v1)
	if err := o.Write(ctx, "metric", []byte("cpu,host=a usage=1 1\n")); err != nil {
		t.Fatal(err)
	}
	g := got[0]
	if g.path != "/prefix/write" || g.query != "db=dk_metric&precision=ns" || !strings.HasPrefix(g.auth, "Basic ") ||
		g.body != "cpu,category=metric,host=a usage=1 1\n" {
		t.Fatalf("v1 request: %+v", g)
	}

	v2 := DefaultConfig()
	v2.URL, v2.API, v2.Org, v2.Bucket, v2.Token, v2.Gzip = srv.URL, "v2", "o", "b", "secret", false
	if err := build(t, v2).Write(ctx, "logging", []byte("l f=1i\n")); err != nil {
		t.Fatal(err)
	}
	g = got[1]
	if g.path != "/api/v2/write" || g.query != "bucket=b&org=o&precision=ns" || g.auth != "Token secret" || g.body != "l f=1i\n" {
		t.Fatalf("v2 request: %+v", g)
	}

	for code, permanent := range map[int]bool{400: true, 404: true, 401: true, 429: false, 500: false, 503: false} {
		status = code
		err := o.Write(ctx, "metric", []byte("m f=1 1\n"))
		if err == nil || errors.Is(err, outputs.ErrPermanent) != permanent || !strings.Contains(err.Error(), "field type conflict") {
			t.Errorf("status %d: err %v (permanent want %v, with the server's message)", code, err, permanent)
		}
	}
	srv.Close()
	status = 204
	if err := o.Write(ctx, "metric", []byte("m f=1 1\n")); err == nil || errors.Is(err, outputs.ErrPermanent) {
		t.Fatalf("server down: want a retryable error, got %v", err)
	}
}

func TestAddTag(t *testing.T) {
	for in, want := range map[string]string{
		"cpu usage=1 1\n":                    "cpu,category=metric usage=1 1\n",
		"c\\ p\\,u,a=b f=\"x y\" 1\nd f=1\n": "c\\ p\\,u,category=metric,a=b f=\"x y\" 1\nd,category=metric f=1\n",
		"cpu,category=own,z=1 f=1 1\n":       "cpu,category=own,z=1 f=1 1\n",
		"cpu,a=x\\,category=no f=1 1\n":      "cpu,category=metric,a=x\\,category=no f=1 1\n",
		"# comment\n\ncpu f=1":               "# comment\n\ncpu,category=metric f=1",
	} {
		if got := string(addTag([]byte(in), "category", "metric")); got != want {
			t.Errorf("addTag(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExtensionsBecomeStrings: InfluxDB has no binary or array values; they
// are written as strings and counted.
func TestExtensionsBecomeStrings(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := DefaultConfig()
	c.URL, c.Gzip = srv.URL, false
	o, err := c.Build(outputs.Env{Name: "influxdb#conv"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Write(context.Background(), "network", []byte("m b=\"aGk=\"b,a=[1i,2i],f=1i 1\nn s=\"x\" 1\n")); err != nil {
		t.Fatal(err)
	}
	if body != "m a=\"[1i,2i]\",b=\"aGk=\",f=1i 1\nn s=\"x\" 1\n" {
		t.Fatalf("sent %q", body)
	}
	for kind, want := range map[string]float64{"binary": 1, "array": 1} {
		var m dto.Metric
		valuesConverted.WithLabelValues("influxdb#conv", kind).Write(&m)
		if got := m.GetCounter().GetValue(); got != want {
			t.Errorf("%s converted: %v, want %v", kind, got, want)
		}
	}
}
