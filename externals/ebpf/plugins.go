package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"netobs.local/agent/externals/ebpf/internal/config"
	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/netflow"
)

// plugin is the lifecycle every collector plugin follows.
type plugin interface {
	Name() string
	Load() error                     // load BPF objects (nothing attached yet)
	Start(ctx context.Context) error // attach and start reading
	Stop() error                     // detach, report what is left
	Close() error                    // free maps and programs
}

type factory func(c *config.Config, sink deliver.Sink, log *slog.Logger) plugin

// available are the implemented plugins.
var available = map[string]factory{
	"ebpf-net": func(c *config.Config, sink deliver.Sink, log *slog.Logger) plugin {
		return netflow.New(netflow.Config{
			Interval:        c.Interval,
			EphemeralStart:  c.EphemeralPort,
			ExcludeLoopback: c.ExcludeLoopback,
			IPv6Disabled:    c.IPv6Disabled,
			ProcRoot:        procRoot(),
			Tags:            append([]lp.Tag{{Key: "host", Value: c.Hostname}}, c.Tags...),
		}, sink, log)
	},
}

// selectPlugins builds the enabled plugins or says which are not there yet.
func selectPlugins(c *config.Config, sink deliver.Sink, log *slog.Logger) ([]plugin, error) {
	var names []string
	for n := range available {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []plugin
	for _, name := range c.Enabled {
		f, ok := available[name]
		if !ok {
			return nil, fmt.Errorf("plugin %q is not implemented yet (available: %s)", name, strings.Join(names, ", "))
		}
		out = append(out, f(c, sink, log))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--enabled lists no plugin (available: %s)", strings.Join(names, ", "))
	}
	return out, nil
}
