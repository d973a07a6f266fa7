// Command datakit-ebpf is the eBPF collector that the datakit supervisor
// runs: `datakit-ebpf run [flags]`, `datakit-ebpf features`,
// `datakit-ebpf version`.
package main

import (
	"fmt"
	"os"
)

// Version is set at build time (-ldflags -X main.Version=...).
var Version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "features":
		err = printFeatures(os.Args[2:], os.Stdout, os.Stderr)
	case "version":
		fmt.Printf("datakit-ebpf %s\n", Version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "datakit-ebpf: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "datakit-ebpf: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  datakit-ebpf run [flags]   collect and deliver (datakit-ebpf run -h for flags)
  datakit-ebpf features [--netlog-blacklist RULES]
                             what this kernel supports, per plugin and hook
  datakit-ebpf version`)
}
