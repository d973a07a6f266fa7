package main

import (
	"fmt"
	"io"
)

// tools are the `datakit tool NAME` debugging aids; each area adds its own.
var tools = map[string]func(args []string, stdout, stderr io.Writer) int{}

func init() {
	commands["tool"] = command{"debugging aids: " + toolNames(), func(args []string, stdout, stderr io.Writer) int {
		if len(args) == 0 || tools[args[0]] == nil {
			fmt.Fprintf(stderr, "usage: datakit tool <%s> [flags]\n", toolNames())
			return 2
		}
		return tools[args[0]](args[1:], stdout, stderr)
	}}
}

func toolNames() string { return "filter" }
