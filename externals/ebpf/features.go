package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/externals/ebpf/internal/bash"
	"netobs.local/agent/externals/ebpf/internal/config"
	"netobs.local/agent/externals/ebpf/internal/conntrack"
	"netobs.local/agent/externals/ebpf/internal/loader"
	"netobs.local/agent/externals/ebpf/internal/netflow"
	"netobs.local/agent/externals/ebpf/internal/netlog"
	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// printFeatures prints every plugin and what it depends on, on/off with the
// reason, plus the generic hook kinds we never require but probe. args may
// give --netlog-blacklist, whose rules are then compiled as run would.
func printFeatures(args []string, w, stderr io.Writer) error {
	fs := flag.NewFlagSet("datakit-ebpf features", flag.ContinueOnError)
	fs.SetOutput(stderr)
	blacklist := fs.String("netlog-blacklist", "", "bpf-netlog rules (filter language) to compile")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if notes, err := loader.Prepare(); err != nil {
		fmt.Fprintf(w, "# preparing the host failed: %v\n", err)
	} else {
		for _, n := range notes {
			fmt.Fprintf(w, "# %s\n", n)
		}
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PLUGIN\tDEPENDENCY\tSTATUS")
	row := func(plugin, what string, st features.Status) { fmt.Fprintf(tw, "%s\t%s\t%s\n", plugin, what, st) }

	generic := []struct {
		what string
		st   func() features.Status
	}{
		{"kprobes (never required)", features.Kprobes},
		{"fentry/fexit trampolines (never required)", features.Fentry},
		{"tp_btf raw tracepoints", features.TPBTF},
		{"kernel BTF (CO-RE)", func() features.Status { return features.BTFType("tcp_sock") }},
	}
	for _, g := range generic {
		row("(kernel)", g.what, g.st())
	}
	for _, c := range netflow.Features() {
		row("ebpf-net", c.What, c.Status)
	}
	for _, c := range proccache.Features() {
		row("(process cache)", c.What, c.Status)
	}
	for _, c := range bash.Features(procRoot(), hostRoot()) {
		row("ebpf-bash", c.What, c.Status)
	}
	for _, c := range conntrack.Features() {
		row("ebpf-conntrack", c.What, c.Status)
	}
	for _, c := range netlog.Features(procRoot(), "/run/netns", *blacklist) {
		row("bpf-netlog", c.What, c.Status)
	}
	var missing []string
	for _, p := range config.Plugins {
		if _, ok := available[p]; !ok {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		row(p, "(plugin)", features.Status{Reason: "not implemented yet in this build"})
	}
	return tw.Flush()
}
