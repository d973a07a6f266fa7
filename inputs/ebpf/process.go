package ebpf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"netobs.local/agent/inputs"
)

// Process holds the process attribution and selection options. They are
// ours, not DataKit's: Calico's collectProcessPath and iLogtail's
// IncludeCmdRegex/ExcludeCmdRegex inspired them.
type Process struct {
	ProcessArgs           bool   `toml:"process_args"`
	IncludeCmdRegex       string `toml:"include_cmd_regex"`
	ExcludeCmdRegex       string `toml:"exclude_cmd_regex"`
	IncludePids           []int  `toml:"include_pids"`
	ExcludePids           []int  `toml:"exclude_pids"`
	IncludeContainerRegex string `toml:"include_container_regex"`
	ExcludeContainerRegex string `toml:"exclude_container_regex"`
}

func (p *Process) regexps() []struct{ option, flag, value string } {
	return []struct{ option, flag, value string }{
		{"include_cmd_regex", "--include-cmd-regex", p.IncludeCmdRegex},
		{"exclude_cmd_regex", "--exclude-cmd-regex", p.ExcludeCmdRegex},
		{"include_container_regex", "--include-container-regex", p.IncludeContainerRegex},
		{"exclude_container_regex", "--exclude-container-regex", p.ExcludeContainerRegex},
	}
}

// args are the collector's flags for these options.
func (p *Process) args() []string {
	var a []string
	if p.ProcessArgs {
		a = append(a, "--process-args")
	}
	for _, r := range p.regexps() {
		if r.value != "" {
			a = append(a, r.flag, r.value)
		}
	}
	if len(p.IncludePids) > 0 {
		a = append(a, "--include-pids", joinPids(p.IncludePids))
	}
	if len(p.ExcludePids) > 0 {
		a = append(a, "--exclude-pids", joinPids(p.ExcludePids))
	}
	return a
}

func joinPids(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

func pidList(f func(*Input) *[]int) func(*Input, string) error {
	return func(in *Input, v string) error {
		var pids []int
		for i, item := range splitList(v) {
			n, err := strconv.Atoi(item)
			if err != nil || n <= 0 {
				return fmt.Errorf("item %d %q is not a pid", i+1, item)
			}
			pids = append(pids, n)
		}
		*f(in) = pids
		return nil
	}
}

func init() {
	envVars = append(envVars,
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_PROCESS_ARGS", Option: "process_args", Example: "true",
			Doc: "Add process_path and process_args (bounded, secret-looking values redacted) to records."},
			boolean(func(in *Input) *bool { return &in.ProcessArgs })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_INCLUDE_CMD_REGEX", Option: "include_cmd_regex", Example: "^nginx",
			Doc: "Observe only processes whose command line matches."},
			str(func(in *Input) *string { return &in.IncludeCmdRegex })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_EXCLUDE_CMD_REGEX", Option: "exclude_cmd_regex", Example: "^/usr/sbin/sshd",
			Doc: "Never observe processes whose command line matches."},
			str(func(in *Input) *string { return &in.ExcludeCmdRegex })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_INCLUDE_PIDS", Option: "include_pids", Example: "1234,5678",
			Doc: "Observe only these pids, comma separated."},
			pidList(func(in *Input) *[]int { return &in.IncludePids })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_EXCLUDE_PIDS", Option: "exclude_pids", Example: "1",
			Doc: "Never observe these pids, comma separated."},
			pidList(func(in *Input) *[]int { return &in.ExcludePids })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_INCLUDE_CONTAINER_REGEX", Option: "include_container_regex", Example: "^app-",
			Doc: "Observe only processes in containers whose name matches (Docker/podman name, or the Kubernetes container name; the container id when no runtime names it)."},
			str(func(in *Input) *string { return &in.IncludeContainerRegex })},
		envVar{inputs.EnvVar{Name: "ENV_INPUT_EBPF_EXCLUDE_CONTAINER_REGEX", Option: "exclude_container_regex", Example: "^kube-",
			Doc: "Never observe processes in containers whose name matches (Docker/podman name, or the Kubernetes container name; the container id when no runtime names it)."},
			str(func(in *Input) *string { return &in.ExcludeContainerRegex })},
	)
	checks = append(checks,
		check{"process selection", func(in *Input) error {
			for _, r := range in.regexps() {
				if _, err := regexp.Compile(r.value); err != nil {
					return fmt.Errorf("%s: %v", r.option, err)
				}
			}
			for _, p := range append(append([]int{}, in.IncludePids...), in.ExcludePids...) {
				if p <= 0 {
					return fmt.Errorf("include_pids/exclude_pids: %d is not a pid", p)
				}
			}
			return nil
		}})
}
