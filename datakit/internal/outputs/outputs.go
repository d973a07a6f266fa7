// Package outputs defines what an output is and keeps the registry of output
// kinds configured as `[[outputs.NAME]]` in datakit.conf.
package outputs

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Output delivers encoded batches to one destination. The pipeline puts a
// disk-backed queue in front of every output, so Write is only ever called by
// that queue's single worker and may block.
type Output interface {
	// Write delivers one batch of line protocol (one category). A nil error
	// means delivered. An error wrapping ErrPermanent is not retried (for
	// example a 4xx from the backend); any other error is retried with backoff.
	// Nobody writes to lp afterwards: an output may keep it without a copy.
	// Write must not modify it.
	Write(ctx context.Context, category string, lp []byte) error
	Close() error
}

// Batching is implemented by outputs that want the queue worker to merge
// queued batches (of one category) into bigger writes, up to these bounds. A
// single queued batch larger than the bounds is still written whole.
type Batching interface {
	BatchLimits() (points, bytes int)
}

// Backoff is implemented by outputs with their own retry delay bounds.
type Backoff interface {
	RetryBackoff() (min, max time.Duration)
}

// ErrPermanent marks a rejection that retrying cannot fix.
var ErrPermanent = errors.New("permanent output error")

// Env is what an output gets when it is built.
type Env struct {
	Name    string // the output's instance name, e.g. "influxdb" or "influxdb#2"
	DataDir string
	Log     *slog.Logger
}

// Config is an output's decoded `[[outputs.NAME]]` table.
type Config interface {
	Build(env Env) (Output, error)
}

// Registration is one output kind.
type Registration struct {
	Name   string
	Sample string
	// New returns a Config holding defaults; the loader decodes TOML into it.
	New func() Config
}

var (
	mu       sync.RWMutex
	registry = map[string]Registration{}
)

// Add registers an output kind; it panics on a duplicate name.
func Add(name, sample string, newConfig func() Config) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("outputs: duplicate output " + name)
	}
	registry[name] = Registration{Name: name, Sample: sample, New: newConfig}
}

// Get returns the registration of name.
func Get(name string) (Registration, bool) {
	mu.RLock()
	defer mu.RUnlock()
	r, ok := registry[name]
	return r, ok
}

// All returns every output kind sorted by name.
func All() []Registration {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Registration, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
