package agent

import (
	"log/slog"
	"os"
	"runtime/debug"

	"netobs.local/agent/datakit/internal/api"
)

// MemoryBase is what the supervisor's RSS holds besides its requests' budget
// (max_inflight_bytes): the program itself, the pipeline's delivery and
// encode buffers, the local output's query window, idle pooled buffers,
// stacks and the runtime. Peak RSS stays under budget + MemoryBase
// (tests/e2e TestSupervisorMemoryBounded).
const MemoryBase = 128 << 20

// limitHeadroom is kept out of the Go memory limit: the limit counts only
// the Go runtime's memory, not the program's text and data, and the heap
// overshoots it a little while a GC cycle runs.
const limitHeadroom = 32 << 20

// setMemoryLimit sets the Go memory limit to the request budget plus
// MemoryBase less limitHeadroom, unless GOMEMLIMIT is set: the GC then
// works harder as the heap nears it instead of letting garbage double the
// live heap, which the budget bounds.
func setMemoryLimit(budget int64, log *slog.Logger) {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		log.Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	}
	if budget <= 0 {
		budget = api.DefaultMaxInflightBytes
	}
	limit := budget + MemoryBase - limitHeadroom
	debug.SetMemoryLimit(limit)
	log.Info("memory limit", "bytes", limit, "max_inflight_bytes", budget)
}
