package agent

import (
	"log/slog"
	"os"
	"runtime/debug"

	"netobs.local/agent/datakit/internal/api"
)

// MemoryBase is what the supervisor holds besides its requests: the
// pipeline's encode buffers, the local output's query window, idle pooled
// buffers, stacks and the runtime. The Go memory limit is the request
// budget plus this.
const MemoryBase = 128 << 20

// setMemoryLimit sets the Go memory limit to the request budget plus
// MemoryBase, unless GOMEMLIMIT is set: the GC then works harder as the
// heap nears it, and returns the memory of a burst to the system promptly
// instead of keeping it for the next one.
func setMemoryLimit(budget int64, log *slog.Logger) {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		log.Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	}
	if budget <= 0 {
		budget = api.DefaultMaxInflightBytes
	}
	limit := budget + MemoryBase
	debug.SetMemoryLimit(limit)
	log.Info("memory limit", "bytes", limit, "max_inflight_bytes", budget)
}
