package main

import (
	"fmt"
	"io"

	"netobs.local/agent/datakit/internal/version"
)

func init() {
	commands["version"] = command{"print the version", func(_ []string, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "datakit %s (commit %s)\n", version.Version, version.Commit)
		return 0
	}}
}
