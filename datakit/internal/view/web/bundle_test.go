package web

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBundleMatchesSources rebuilds the bundle from _ui with the pinned
// esbuild and checks it byte for byte against the committed dist/: a
// change to the sources or the package versions without `make generate`
// fails here. tests/setup.sh installs node and _ui/node_modules (npm ci).
func TestBundleMatchesSources(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: run tests/setup.sh")
	}
	if _, err := os.Stat("_ui/node_modules/esbuild"); err != nil {
		t.Fatal("_ui/node_modules is missing: run tests/setup.sh (it runs npm ci there)")
	}
	out := t.TempDir()
	cmd := exec.Command(node, "build.mjs", out)
	cmd.Dir = "_ui"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	for _, name := range []string{"app.js", "app.css"} {
		built, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := files.ReadFile("dist/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, committed) {
			t.Errorf("dist/%s (%d bytes) is not what _ui builds (%d bytes): run `make generate`", name, len(committed), len(built))
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("the build wrote %d files, want app.js and app.css", len(entries))
	}
	if !bytes.Contains(Index(), []byte(`src="/assets/app.js"`)) {
		t.Error("index.html does not load the bundle")
	}
}
