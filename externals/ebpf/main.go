// Command datakit-ebpf is the eBPF collector (placeholder until its issue lands).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "datakit-ebpf: not built yet")
	os.Exit(2)
}
