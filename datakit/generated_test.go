package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/inputs"
)

var update = flag.Bool("update", false, "rewrite the generated samples and docs")

// TestGeneratedFiles keeps the committed samples and the environment doc equal
// to what the code declares; `make generate` rewrites them.
func TestGeneratedFiles(t *testing.T) {
	want := map[string]string{
		"conf.d/samples/datakit.conf.sample": config.SampleMain(),
		"docs/environment.md":                config.EnvDoc(),
	}
	for _, r := range inputs.All() {
		want["conf.d/samples/"+r.Name+".conf.sample"] = r.Sample
	}
	for rel, body := range want {
		path := filepath.Join("..", rel)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != body {
			t.Errorf("%s is out of date with the code: run `make generate`", rel)
		}
	}
}
