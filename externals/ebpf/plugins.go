package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"netobs.local/agent/externals/ebpf/internal/bash"
	"netobs.local/agent/externals/ebpf/internal/config"
	"netobs.local/agent/externals/ebpf/internal/conntrack"
	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/enrich"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/l7/collect"
	"netobs.local/agent/externals/ebpf/internal/l7/engine"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/dns"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http1"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http2"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/memcached"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/mysql"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/pgsql"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/redis"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/netflow"
	"netobs.local/agent/externals/ebpf/internal/netlog"
	"netobs.local/agent/externals/ebpf/internal/proccache"
	"netobs.local/agent/externals/ebpf/internal/procselect"
)

// plugin is the lifecycle every collector plugin follows.
type plugin interface {
	Name() string
	Load() error                     // load BPF objects (nothing attached yet)
	Start(ctx context.Context) error // attach and start reading
	Stop() error                     // detach, report what is left
	Close() error                    // free maps and programs
}

type factory func(c *config.Config, sh *shared, sink deliver.Sink, log *slog.Logger) plugin

// shared is what plugins give each other: the process cache and selection
// (every plugin), and conntrack's DNAT table (for ebpf-net).
type shared struct {
	procs *proccache.Cache
	sel   *procselect.Selector
	stage *enrich.Stage     // selection and enrichment of every plugin's records
	nat   *conntrack.Plugin // nil unless ebpf-conntrack is enabled
	l7    *engine.Engine    // the L7 engine; nil unless httpflow or dnsflow is on
}

// available are the implemented plugins.
var available = map[string]factory{
	"ebpf-net": func(c *config.Config, sh *shared, sink deliver.Sink, log *slog.Logger) plugin {
		cfg := netflow.Config{
			Interval:        c.Interval,
			EphemeralStart:  c.EphemeralPort,
			ExcludeLoopback: c.ExcludeLoopback,
			IPv6Disabled:    c.IPv6Disabled,
			ProcRoot:        procRoot(),
			HostRoot:        hostRoot(),
			Tags:            baseTags(c),
			Processes:       sh.stage,
			L7: netflow.L7Config{DNS: c.DNSFlow, HTTP: slices.ContainsFunc(l7Protocols(c), func(p string) bool { return p != dns.Name }),
				CaptureBytes: c.L7CaptureBytes, Skip: procselect.NewKernelSet(sh.sel, sh.procs)},
			RecvPeers: netflow.RecvPeers(c.UDPRecvPeers),
			UDP:       c.NetflowUDP,
		}
		if sh.nat != nil {
			cfg.NAT = sh.stage
		}
		if sh.l7 != nil {
			cfg.L7.Engine = sh.l7
		}
		return netflow.New(cfg, sink, log)
	},
	"ebpf-bash": func(c *config.Config, sh *shared, sink deliver.Sink, log *slog.Logger) plugin {
		return bash.New(bash.Config{Interval: c.Interval, ProcRoot: procRoot(), HostRoot: hostRoot(),
			Tags: baseTags(c), Select: sh.stage, Execs: sh.procs}, sink, log)
	},
	"ebpf-conntrack": func(c *config.Config, sh *shared, sink deliver.Sink, log *slog.Logger) plugin {
		return sh.nat
	},
	"bpf-netlog": func(c *config.Config, sh *shared, sink deliver.Sink, log *slog.Logger) plugin {
		return netlog.New(netlog.Config{
			Blacklist:      c.Netlog.Blacklist,
			Log:            c.Netlog.Log,
			Metric:         c.Netlog.Metric,
			Interval:       c.Interval,
			EphemeralStart: c.EphemeralPort,
			Hostname:       c.Hostname, // the plugin adds the host tag itself
			Tags:           c.Tags,
			ProcRoot:       procRoot(),

			ExcludeLoopback: c.ExcludeLoopback,
			IPv6Disabled:    c.IPv6Disabled,
		}, sink, log)
	},
}

// startOrder: the providers start before their users and stop after them.
var startOrder = []string{"ebpf-conntrack", "ebpf-net", "ebpf-bash", "bpf-netlog"}

// selectPlugins builds the enabled plugins, preceded by the process
// cache they share, or says which are not there yet.
func selectPlugins(c *config.Config, sink deliver.Sink, log *slog.Logger) ([]plugin, error) {
	var names []string
	for n := range available {
		names = append(names, n)
	}
	sort.Strings(names)
	enabled := map[string]bool{}
	for _, name := range c.Enabled {
		if _, ok := available[name]; !ok {
			return nil, fmt.Errorf("plugin %q is not implemented yet (available: %s)", name, strings.Join(names, ", "))
		}
		enabled[name] = true
	}
	if len(enabled) == 0 {
		return nil, fmt.Errorf("--enabled lists no plugin (available: %s)", strings.Join(names, ", "))
	}
	cache := proccache.New(procRoot(), 2*c.Interval+10*time.Second, log)
	sink = enrich.Complete(sink)
	sh := &shared{procs: cache, sel: procselect.New(c.Select, cache, nil, procselect.Own(procRoot())...)}
	sh.stage = &enrich.Stage{Select: sh.sel, Procs: cache, ProcessArgs: c.ProcessArgs}
	if enabled["ebpf-conntrack"] {
		sh.nat = conntrack.New(conntrack.Config{Interval: c.Interval, ProcRoot: procRoot(), HostRoot: hostRoot(), Tags: baseTags(c)}, sink, log)
		sh.stage.NAT = sh.nat
	}
	out := []plugin{cache}
	if enabled["ebpf-net"] {
		if protos := l7Protocols(c); len(protos) > 0 {
			sh.l7 = engine.New(engine.Config{Interval: c.Interval, Tags: baseTags(c), Config: collect.Config{
				Enabled: protos,
				Tags:    sh.stage.ConnTags(flowtags.Builder{EphemeralStart: c.EphemeralPort}),
				Stage:   sh.stage,
			}}, sink)
			out = append(out, sh.l7) // before its sources, so it stops after them
		}
	}
	for _, name := range startOrder {
		if enabled[name] {
			out = append(out, available[name](c, sh, sink, log))
		}
	}
	return out, nil
}

// l7Protocols are the L7 engine's enabled protocols.
func l7Protocols(c *config.Config) []string {
	var on []string
	if slices.Contains(c.L7Enabled, "httpflow") {
		on = append(on, http1.Name, http2.Name)
	}
	for _, db := range []string{redis.Name, pgsql.Name, mysql.Name, memcached.Name} { // their l7net_enabled value is their name
		if slices.Contains(c.L7Enabled, db) {
			on = append(on, db)
		}
	}
	if c.DNSFlow {
		on = append(on, dns.Name)
	}
	return on
}

func baseTags(c *config.Config) []lp.Tag {
	return append([]lp.Tag{{Key: "host", Value: c.Hostname}}, c.Tags...)
}
