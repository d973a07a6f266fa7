// Package local is the local store output: line protocol files under
// <dir>/<category>/, rotated by size and age and pruned by total size and
// age, plus a bounded in-memory window of recent points that answers
// pipeline.Query (GET /v1/query), and the web view's aggregates (view.Store)
// fed from the same writes.
package local

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
	"netobs.local/agent/datakit/internal/view"
)

//go:embed sample.conf
var sample string

func init() {
	outputs.Add("local", sample, func() outputs.Config { return DefaultConfig() })
}

// Config is `[[outputs.local]]`.
type Config struct {
	Dir           string        `toml:"dir"`
	MaxFileBytes  int64         `toml:"max_file_bytes"`
	MaxFileAge    time.Duration `toml:"max_file_age"`
	MaxTotalBytes int64         `toml:"max_total_bytes"`
	MaxAge        time.Duration `toml:"max_age"`
	WindowPoints  int           `toml:"window_points"`
	WindowAge     time.Duration `toml:"window_age"`
}

// DefaultConfig is the configuration of the default local store.
func DefaultConfig() *Config {
	return &Config{
		MaxFileBytes: 32 << 20, MaxFileAge: time.Hour,
		MaxTotalBytes: 1 << 30, MaxAge: 7 * 24 * time.Hour,
		WindowPoints: 100_000, WindowAge: 15 * time.Minute,
	}
}

// Validate checks c without side effects (datakit check-config calls it).
func (c *Config) Validate() error {
	for _, chk := range []struct {
		key string
		bad bool
	}{
		{"max_file_bytes", c.MaxFileBytes <= 0},
		{"max_file_age", c.MaxFileAge <= 0},
		{"max_total_bytes", c.MaxTotalBytes < c.MaxFileBytes},
		{"max_age", c.MaxAge <= 0},
		{"window_points", c.WindowPoints < 0},
		{"window_age", c.WindowAge <= 0},
	} {
		if chk.bad {
			return fmt.Errorf("outputs.local: %s: must be positive (max_total_bytes at least max_file_bytes)", chk.key)
		}
	}
	return nil
}

// Build validates c and opens the store.
func (c *Config) Build(env outputs.Env) (outputs.Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	dir := c.Dir
	if dir == "" {
		if env.DataDir == "" {
			return nil, errors.New("outputs.local: dir: not set and no data_dir")
		}
		dir = filepath.Join(env.DataDir, "local")
	}
	files, err := openFiles(dir, *c, env.Log)
	if err != nil {
		return nil, fmt.Errorf("outputs.local: %w", err)
	}
	return &Local{files: files, window: newWindow(c.WindowPoints, c.WindowAge), view: view.New()}, nil
}

// Local is the local store.
type Local struct {
	files  *files
	window *window
	view   *view.Store
}

var (
	_ pipeline.Querier = (*Local)(nil)
	_ view.Source      = (*Local)(nil)
)

// Write appends lp to the category's current file, fsyncs it (so the queue
// may forget the batch) and adds the points to the window and the view.
func (l *Local) Write(_ context.Context, category string, lp []byte) error {
	if !point.ValidCategory(category) {
		return fmt.Errorf("%w: unknown category %q", outputs.ErrPermanent, category)
	}
	if err := l.files.write(category, lp); err != nil {
		return err
	}
	now := time.Now()
	l.window.add(category, lp, now)
	l.view.Feed(category, lp, now)
	return nil
}

// View is the web view's aggregates of what this output stored.
func (l *Local) View() *view.Store { return l.view }

// Query answers from the in-memory window.
func (l *Local) Query(q pipeline.Query) []*point.Point { return l.window.query(q, time.Now()) }

// Close closes the current files.
func (l *Local) Close() error { return l.files.close() }

// decode turns the pipeline's line protocol back into points, DataKit's
// extensions (binary and array values) included. It was validated on the
// way in, with limits no larger than these.
func decode(lp []byte) ([]*point.Point, error) {
	const huge = 1 << 30
	return point.DecodeLPBytes(lp, point.Options{Precision: point.Nanosecond,
		Limits: point.Limits{MaxTags: huge, MaxFields: huge, MaxKeyBytes: huge, MaxValueBytes: huge, MaxPointBytes: huge, MaxMessageBytes: huge}})
}
