package agent

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: the Go memory limit follows the budget, unless the user
// set GOMEMLIMIT.
func TestMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	log := slog.New(slog.DiscardHandler)

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	setMemoryLimit(200<<20, log)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("GOMEMLIMIT set, yet the limit became %d", got)
	}

	t.Setenv("GOMEMLIMIT", "") // t.Setenv restores it; unset it for this part
	unsetenv(t, "GOMEMLIMIT")
	setMemoryLimit(200<<20, log)
	if got, want := debug.SetMemoryLimit(-1), int64(200<<20+MemoryBase-limitHeadroom); got != want {
		t.Fatalf("limit %d, want %d", got, want)
	}
}

func unsetenv(t *testing.T, k string) {
	t.Helper()
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}
