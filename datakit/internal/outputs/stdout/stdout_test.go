package stdout

import (
	"bytes"
	"context"
	"testing"

	"github.com/BurntSushi/toml"

	"netobs.local/agent/datakit/internal/outputs"
)

func TestSampleDecodesAndFilters(t *testing.T) {
	reg, ok := outputs.Get("stdout")
	if !ok {
		t.Fatal("stdout not registered")
	}
	var tables struct{ Outputs map[string][]*Config }
	if _, err := toml.Decode(reg.Sample, &tables); err != nil {
		t.Fatal(err)
	}
	cfg := tables.Outputs["stdout"][0]
	cfg.Categories = []string{"metric"}
	var buf bytes.Buffer
	cfg.w = &buf
	out, err := cfg.Build(outputs.Env{})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(context.Background(), "metric", []byte("m f=1i 1\n"))
	out.Write(context.Background(), "logging", []byte("l f=1i 1\n"))
	if got, want := buf.String(), "# category=metric\nm f=1i 1\n"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
	if _, err := (&Config{Categories: []string{"nope"}}).Build(outputs.Env{}); err == nil {
		t.Fatal("unknown category accepted")
	}
}
