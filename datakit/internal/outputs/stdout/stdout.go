// Package stdout is a debugging output that prints line protocol to the
// supervisor's standard output.
package stdout

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/point"
)

//go:embed sample.conf
var sample string

func init() {
	outputs.Add("stdout", sample, func() outputs.Config { return &Config{} })
}

// Config is `[[outputs.stdout]]`.
type Config struct {
	Categories []string  `toml:"categories"`
	w          io.Writer // os.Stdout unless a test sets it
}

// Validate checks the categories.
func (c *Config) Validate() error {
	for i, cat := range c.Categories {
		if !point.ValidCategory(cat) {
			return fmt.Errorf("outputs.stdout: categories[%d]: unknown category %q (valid: %v)", i, cat, point.Categories)
		}
	}
	return nil
}

// Build validates c and returns the output.
func (c *Config) Build(outputs.Env) (outputs.Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w := c.w
	if w == nil {
		w = os.Stdout
	}
	return &Stdout{w: w, categories: c.Categories}, nil
}

// Stdout writes batches to w.
type Stdout struct {
	mu         sync.Mutex
	w          io.Writer
	categories []string
}

func (s *Stdout) Write(_ context.Context, category string, lp []byte) error {
	if len(s.categories) > 0 && !slices.Contains(s.categories, category) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "# category=%s\n", category); err != nil {
		return err
	}
	_, err := s.w.Write(lp)
	return err
}

func (s *Stdout) Close() error { return nil }
