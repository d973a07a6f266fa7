package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"netobs.local/agent/dissect"
	"netobs.local/agent/filter"
)

// tools are the `datakit tool NAME` debugging aids.
var tools = map[string]func(args []string, stdout, stderr io.Writer) int{
	"filter":  filter.RunTool,
	"dissect": dissect.RunTool,
}

func init() {
	commands["tool"] = command{"debugging aids: " + strings.Join(toolNames(), ", "), func(args []string, stdout, stderr io.Writer) int {
		if len(args) == 0 || tools[args[0]] == nil {
			fmt.Fprintf(stderr, "usage: datakit tool <%s> [flags]\n", strings.Join(toolNames(), "|"))
			return 2
		}
		return tools[args[0]](args[1:], stdout, stderr)
	}}
}

func toolNames() []string {
	var n []string
	for k := range tools {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
