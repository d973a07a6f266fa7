// Package inputs is the registry of supervisor inputs. Each input registers
// itself from an init function with a factory and its embedded sample config,
// in the style of Telegraf's plugin registry.
package inputs

import (
	"context"
	"log/slog"
	"sort"
	"sync"
)

// Input is one configured instance of an input. The config loader decodes the
// `[[inputs.NAME]]` table into the value returned by the factory, so an input
// is a struct with toml tags whose zero value after the factory holds defaults.
type Input interface {
	// Run blocks until ctx is done or the input fails for good.
	Run(ctx context.Context, env Env) error
}

// Validator is implemented by inputs that check their options after decoding.
// Errors about one option should be (or join) *OptionError, so that the
// config loader can point at that option's line.
type Validator interface {
	Validate() error
}

// OptionError is a problem with one option's value.
type OptionError struct {
	Option string // the TOML key inside the input's table
	Err    error
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// EnvVar documents one environment variable that overrides an option.
type EnvVar struct {
	Name    string // e.g. ENV_INPUT_EBPF_INTERVAL
	Option  string // the TOML key it overrides
	Example string
	Doc     string
}

// EnvConfigurable is implemented by inputs with Kubernetes-style variables.
type EnvConfigurable interface {
	// EnvVars lists every variable the input reads, for the docs.
	EnvVars() []EnvVar
	// ApplyEnv overrides options from lookup; errors name the variable.
	ApplyEnv(lookup func(string) (string, bool)) error
}

// Env is what the supervisor hands to a running input.
type Env struct {
	Hostname string
	// APIAddr is host:port of the supervisor's HTTP API, for children to post to.
	APIAddr string
	DataDir string
	Log     *slog.Logger
	// Restarted is called each time a child process of the input is restarted.
	Restarted func()
}

// Creator returns a new input holding its default options.
type Creator func() Input

// Registration is one registered input.
type Registration struct {
	Name   string
	Sample string // the sample config, a `[[inputs.NAME]]` table
	New    Creator
}

var (
	mu       sync.RWMutex
	registry = map[string]Registration{}
)

// Add registers an input; it panics on a duplicate name (a programming error).
func Add(name, sample string, c Creator) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("inputs: duplicate input " + name)
	}
	registry[name] = Registration{Name: name, Sample: sample, New: c}
}

// Get returns the registration of name.
func Get(name string) (Registration, bool) {
	mu.RLock()
	defer mu.RUnlock()
	r, ok := registry[name]
	return r, ok
}

// All returns every registration sorted by name.
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
