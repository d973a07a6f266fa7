// Package version holds the build's version, set by the linker from the Makefile.
package version

var (
	Version = "dev"
	Commit  = "unknown"
)
