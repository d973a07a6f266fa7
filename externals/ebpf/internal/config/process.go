package config

import (
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// processFlags are the raw values of the process flags, checked by
// finish: process tags and selection (iLogtail's IncludeCmdRegex and
// friends).
type processFlags struct {
	includeCmd, excludeCmd             string
	includePids, excludePids           string
	includeContainer, excludeContainer string
}

func (p *processFlags) register(fs *flag.FlagSet, c *Config) {
	fs.BoolVar(&c.ProcessArgs, "process-args", false, "add process_path and process_args (bounded, secrets redacted) to records")
	fs.StringVar(&p.includeCmd, "include-cmd-regex", "", "observe only processes whose command line (argv joined by spaces) matches")
	fs.StringVar(&p.excludeCmd, "exclude-cmd-regex", "", "never observe processes whose command line matches")
	fs.StringVar(&p.includePids, "include-pids", "", "observe only these pids (comma list)")
	fs.StringVar(&p.excludePids, "exclude-pids", "", "never observe these pids (comma list)")
	fs.StringVar(&p.includeContainer, "include-container-regex", "", "observe only processes in containers whose name matches (Docker/podman name, Kubernetes container name; the id when no runtime names it)")
	fs.StringVar(&p.excludeContainer, "exclude-container-regex", "", "never observe processes in containers whose name matches (Docker/podman name, Kubernetes container name; the id when no runtime names it)")
}

func (p *processFlags) finish(c *Config) error {
	var err error
	r := &c.Select
	for _, x := range []struct {
		flag, value string
		into        **regexp.Regexp
	}{
		{"--include-cmd-regex", p.includeCmd, &r.IncludeCmd},
		{"--exclude-cmd-regex", p.excludeCmd, &r.ExcludeCmd},
		{"--include-container-regex", p.includeContainer, &r.IncludeContainer},
		{"--exclude-container-regex", p.excludeContainer, &r.ExcludeContainer},
	} {
		if x.value == "" {
			continue
		}
		if *x.into, err = regexp.Compile(x.value); err != nil {
			return fmt.Errorf("%s %q: %w", x.flag, x.value, err)
		}
	}
	if r.IncludePids, err = pidSet("--include-pids", p.includePids); err != nil {
		return err
	}
	r.ExcludePids, err = pidSet("--exclude-pids", p.excludePids)
	return err
}

func pidSet(flagName, s string) (map[uint32]bool, error) {
	var set map[uint32]bool
	for i, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%s: item %d %q is not a pid", flagName, i+1, v)
		}
		if set == nil {
			set = map[uint32]bool{}
		}
		set[uint32(n)] = true
	}
	return set, nil
}
