package ebpf

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"netobs.local/agent/filter"
	"netobs.local/agent/inputs"
)

// MinInterval is the shortest aggregation interval the collector accepts.
const MinInterval = time.Second

// check validates one option; its errors start with the option's name.
type check struct {
	option string
	fn     func(*Input) error
}

// checks run in the order of the sample config. Options whose feature this
// build lacks have none: set, they are refused (support.go).
var checks = []check{
	// A blacklist that does not compile is refused with the loaded
	// configuration: the netlog plugin must never run unfiltered by surprise.
	{"netlog_blacklist", func(in *Input) error {
		if strings.TrimSpace(in.NetlogBlacklist) == "" {
			return nil
		}
		_, err := filter.Compile(in.NetlogBlacklist, filter.Netlog)
		return err
	}},
	{"netlog_metric", func(in *Input) error {
		if slices.Contains(in.EnabledPlugins, "bpf-netlog") && !in.NetlogLog && !in.NetlogMetric {
			return errors.New("and netlog_log are both false: bpf-netlog would produce nothing (the collector refuses to start)")
		}
		return nil
	}},
	{"daemon", func(in *Input) error {
		if !in.Daemon {
			return errors.New("must be true: datakit-ebpf is a long-running collector, not a periodic command")
		}
		return nil
	}},
	{"name", func(in *Input) error {
		if !nameRE.MatchString(in.Name) {
			return fmt.Errorf("%q must be letters, digits, '.', '_' or '-'", in.Name)
		}
		return nil
	}},
	{"envs", func(in *Input) error {
		for i, kv := range in.Envs {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("entry %d %q is not KEY=VALUE", i+1, kv)
			}
		}
		return nil
	}},
	{"enabled_plugins", func(in *Input) error {
		if len(in.EnabledPlugins) == 0 {
			return errors.New("is empty: enable at least one plugin, e.g. [\"ebpf-net\"]")
		}
		for _, p := range in.EnabledPlugins {
			if _, ok := plugins[p]; !ok {
				return fmt.Errorf("unknown plugin %q (known: %s)", p, knownNames(plugins))
			}
		}
		return notBuilt(in.EnabledPlugins, plugins)
	}},
	{"l7net_enabled", func(in *Input) error {
		for _, f := range in.L7NetEnabled {
			if _, ok := l7Features[f]; !ok {
				return fmt.Errorf("unknown feature %q (known: %s)", f, knownNames(l7Features))
			}
		}
		return notBuilt(in.L7NetEnabled, l7Features)
	}},
	{"pprof_host", func(in *Input) error {
		if in.PprofHost == "" {
			return nil
		}
		if net.ParseIP(in.PprofHost) == nil && !hostRE.MatchString(in.PprofHost) {
			return fmt.Errorf("%q is not an IP address or host name", in.PprofHost)
		}
		if in.PprofPort == "" {
			return errors.New("has no effect without pprof_port: the pprof server starts only with a port")
		}
		return nil
	}},
	{"pprof_port", func(in *Input) error {
		if in.PprofPort == "" {
			return nil
		}
		return checkPort(in.PprofPort)
	}},
	{"ephemeral_port", func(in *Input) error {
		if in.EphemeralPort < 0 || in.EphemeralPort > 65535 {
			return fmt.Errorf("%d is not 0 (the kernel's ip_local_port_range) or a port 1..65535", in.EphemeralPort)
		}
		return nil
	}},
	{"interval", func(in *Input) error {
		d, err := time.ParseDuration(in.Interval)
		if err != nil {
			return fmt.Errorf("%q is not a duration (example: \"60s\", \"1m30s\")", in.Interval)
		}
		if d < MinInterval {
			return fmt.Errorf("%q is below the minimum of %v", in.Interval, MinInterval)
		}
		return nil
	}},
	{"udp_recv_peers", func(in *Input) error {
		switch in.UDPRecvPeers {
		case "on-demand", "always", "off":
			return nil
		}
		return fmt.Errorf("%q: want on-demand, always or off", in.UDPRecvPeers)
	}},
	{"tags", func(in *Input) error {
		// The collector takes them as --tags k=v,k2=v2.
		for k, v := range in.Tags {
			if k == "" || v == "" || strings.ContainsAny(k, ",= ") || strings.Contains(v, ",") {
				return fmt.Errorf("%q = %q: keys and values must be non-empty, keys without ',', '=' or spaces, values without ','", k, v)
			}
		}
		return nil
	}},
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
)

// Validate checks every option and reports all problems, each naming its
// option: those whose feature this build lacks are refused (without
// checking their values), then the values of the others are checked, and
// last the netlog options that are valid but would have no effect.
func (in *Input) Validate() error {
	var errs []error
	bad := map[string]bool{}
	for _, p := range pending {
		if err := in.notImplemented(p.option); err != nil {
			errs = append(errs, &inputs.OptionError{Option: p.option, Err: err})
			bad[p.option] = true
		}
	}
	for _, c := range checks {
		if bad[c.option] {
			continue
		}
		if err := c.fn(in); err != nil {
			errs = append(errs, &inputs.OptionError{Option: c.option, Err: err})
			bad[c.option] = true
		}
	}
	for _, n := range netlogOptions {
		if err := in.noEffect(n.option); err != nil && !bad[n.option] {
			errs = append(errs, &inputs.OptionError{Option: n.option, Err: err})
		}
	}
	return errors.Join(errs...)
}

// checkOption is Validate for one option.
func checkOption(in *Input, option string) error {
	if err := in.notImplemented(option); err != nil {
		return err
	}
	for _, c := range checks {
		if c.option == option {
			if err := c.fn(in); err != nil {
				return err
			}
		}
	}
	return in.noEffect(option)
}

func checkPort(s string) error {
	if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not 1..65535", s)
	}
	return nil
}
