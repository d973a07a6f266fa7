// Package web holds the supervisor's web view page: index.html and the
// bundle that _ui/build.mjs makes with esbuild from _ui/src and the pinned
// npm packages (uPlot, Cytoscape.js). The bundle is committed in dist/ and
// embedded, so `go build` needs no Node and the page needs no network;
// `make generate` (go generate) rebuilds it and TestBundleMatchesSources
// checks that the committed one is what the sources build.
package web

import (
	"embed"
	"io/fs"
)

//go:generate sh -c "cd _ui && npm ci --no-audit --no-fund && npm run build"

//go:embed index.html dist
var files embed.FS

// Index is the page.
func Index() []byte {
	b, _ := files.ReadFile("index.html")
	return b
}

// Assets is the bundle: app.js and app.css.
func Assets() fs.FS {
	sub, _ := fs.Sub(files, "dist")
	return sub
}
