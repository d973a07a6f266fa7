package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"netobs.local/agent/datakit/internal/monitor"
)

func init() {
	commands["monitor"] = command{"show a running supervisor in the terminal (inputs, rates, queues, errors, collector health)", runMonitor}
}

func runMonitor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "127.0.0.1:9529", "the supervisor's API address, host:port")
	every := fs.Duration("interval", 2*time.Second, "refresh interval")
	once := fs.Bool("once", false, "print one reading (two, --interval apart, for the rates) and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *every < 100*time.Millisecond {
		fmt.Fprintln(stderr, "datakit monitor: --interval must be at least 100ms")
		return 2
	}
	c := &monitor.Client{Addr: *to, HTTP: &http.Client{Timeout: 5 * time.Second}}
	if *once {
		first, err := c.Read()
		if err != nil {
			fmt.Fprintln(stderr, "datakit monitor:", err)
			return 1
		}
		time.Sleep(*every)
		second, err := c.Read()
		if err != nil {
			fmt.Fprintln(stderr, "datakit monitor:", err)
			return 1
		}
		fmt.Fprint(stdout, monitor.Render(*to, &first, &second, nil))
		return 0
	}
	if err := monitor.Run(c, *every); err != nil {
		fmt.Fprintln(stderr, "datakit monitor:", err)
		return 1
	}
	return 0
}
