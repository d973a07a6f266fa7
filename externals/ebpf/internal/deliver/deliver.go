// Package deliver takes points from the plugins to the supervisor: batched
// HTTP POSTs with retry (Sender), or line protocol written to a file or
// stdout for debugging and tests (Writer).
package deliver

import (
	"fmt"
	"io"
	"os"
	"sync"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// Sink receives a plugin's points: category is the /v1/write category
// (network, logging, metric...), input names the source as
// "<plugin>/<measurement>".
type Sink interface {
	Write(category, input string, pts []lp.Point)
}

// Writer writes line protocol to w, one Write call at a time.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	Err func(error)
}

// NewWriter writes to path, or to stdout when path is "-".
func NewWriter(path string) (*Writer, io.Closer, error) {
	if path == "-" {
		return &Writer{w: os.Stdout}, io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--output: %w", err)
	}
	return &Writer{w: f}, f, nil
}

// Write encodes pts and writes them in one write(2), so a reader of the
// file never sees half a batch.
func (w *Writer) Write(_, _ string, pts []lp.Point) {
	if len(pts) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b, err := lp.Encode(w.buf[:0], pts)
	if err == nil {
		_, err = w.w.Write(b)
		w.buf = b
	}
	if err != nil && w.Err != nil {
		w.Err(err)
	}
}
