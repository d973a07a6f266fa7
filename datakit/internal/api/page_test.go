package api

import (
	"strings"
	"testing"
)

// The page and its bundle are served from the binary: no other server, no CDN.
func TestPageAndAssets(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	w := serve(s, "GET", "/", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `src="/assets/app.js"`) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %q", w.Code, w.Header())
	}
	if strings.Contains(w.Body.String(), "http://") || strings.Contains(w.Body.String(), "https://") {
		t.Fatal("the page loads something from another server")
	}
	for path, typ := range map[string]string{"/assets/app.js": "javascript", "/assets/app.css": "text/css"} {
		w := serve(s, "GET", path, nil)
		if w.Code != 200 || w.Body.Len() < 1000 || !strings.Contains(w.Header().Get("Content-Type"), typ) {
			t.Fatalf("%s: %d, %d bytes, %q", path, w.Code, w.Body.Len(), w.Header().Get("Content-Type"))
		}
	}
	if w := serve(s, "GET", "/assets/nope.js", nil); w.Code != 404 {
		t.Fatalf("missing asset: %d", w.Code)
	}
}
