package config

import (
	"fmt"
	"strings"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/inputs"
)

// mainSampleHead is the agent's part of datakit.conf.sample; the outputs'
// own samples follow it.
const mainSampleHead = `# datakit.conf: the supervisor's own settings and its outputs.
# Every other *.conf file in this folder holds inputs ([[inputs.NAME]]).
# Environment variables override these values (see docs/environment.md).

# The host tag added to every point. Empty: the system's host name.
hostname = ""

# Where the local output and the per-output spools keep their files.
# A relative path is relative to this folder.
data_dir = "/usr/local/datakit/data"

# debug, info, warn or error.
log_level = "info"

# Set to true to run without the local output when no output is configured.
disable_local_output = false

[http_api]
  # Loopback only by default. A non-loopback peer gets 403 unless the route
  # is listed in public_apis (for example "/v1/write/metric").
  listen = "127.0.0.1:9529"
  public_apis = []
  # Largest request body, before and after gzip decompression.
  max_body_bytes = 33554432
  # Memory budget of all requests together: bodies as they arrive, inflated
  # bodies, decoded points. A request that cannot get room within
  # pipeline.busy_wait is answered 429. At least 4 x max_body_bytes. Unless
  # GOMEMLIMIT is set, the Go memory limit is this plus 96 MiB; peak RSS
  # stays under this plus 128 MiB.
  max_inflight_bytes = 268435456
  # A request body must arrive within this time after its headers (408).
  body_timeout = "30s"
  # Per-point limits; a point over any of them rejects its whole batch.
  max_tags_per_point = 256
  max_fields_per_point = 1024
  max_key_bytes = 256
  max_value_bytes = 65536
  max_point_bytes = 1048576
  # The "message" field of a point (a log's text) has its own bound and is
  # not counted in max_point_bytes; max_body_bytes bounds it as well.
  max_message_bytes = 33554432

# The disk queue in front of every output, and delivery defaults.
[pipeline]
  # Past this size per output the oldest queued data is dropped and counted.
  spool_max_bytes = 1073741824
  # Queues are fsynced this often (group commit); a power loss can lose at most
  # this window. fsync_always makes every write wait for an fsync.
  fsync_interval = "100ms"
  fsync_always = false
  # A write that cannot get room within busy_wait is answered 429.
  max_inflight_points = 500000
  busy_wait = "1s"
  max_batch_points = 10000
  max_batch_bytes = 4194304
  retry_min = "100ms"
  retry_max = "30s"

# Tags added to every point. A point's own tag of the same key wins.
[global_tags]
  # cluster = "prod"

# Outputs. With none configured, the local output is used.
`

// SampleMain renders datakit.conf.sample from the registered outputs.
func SampleMain() string {
	var b strings.Builder
	b.WriteString(mainSampleHead)
	for _, r := range outputs.All() {
		b.WriteString("\n")
		for _, line := range strings.Split(strings.TrimRight(r.Sample, "\n"), "\n") {
			if line == "" {
				b.WriteString("#\n")
				continue
			}
			b.WriteString("# " + line + "\n")
		}
	}
	return b.String()
}

// EnvDoc renders the reference of every environment variable, the agent's
// and each registered input's.
func EnvDoc() string {
	var b strings.Builder
	b.WriteString("# Environment variables\n\n")
	b.WriteString("Generated from code by `make generate`; do not edit.\n")
	b.WriteString("Variables override the configuration files; a bad value is an error naming the variable.\n\n")
	b.WriteString("## Agent\n\n| Variable | Overrides | Example | Description |\n|---|---|---|---|\n")
	for _, v := range AgentEnv {
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", v.Name, v.Option, v.Example, v.Doc)
	}
	for _, r := range inputs.All() {
		ec, ok := r.New().(inputs.EnvConfigurable)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n## Input `%s`\n\n| Variable | Overrides | Example | Description |\n|---|---|---|---|\n", r.Name)
		for _, v := range ec.EnvVars() {
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", v.Name, v.Option, v.Example, v.Doc)
		}
	}
	return b.String()
}
