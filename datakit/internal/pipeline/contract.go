// Package pipeline takes accepted batches from the HTTP API, adds the global
// tags and hands them to every output through that output's disk-backed queue.
package pipeline

import (
	"context"
	"errors"
	"time"

	"netobs.local/agent/datakit/internal/point"
)

// Batch is one accepted write request: all of its points or none go through.
type Batch struct {
	Category string // one of point.Categories
	Input    string // the ?input= query parameter, for metrics and logs
	// IgnoreGlobalHostTags leaves out the host tag and the global tags.
	IgnoreGlobalHostTags bool
	Points               []*point.Point
	// Encoded, when Points is empty, is the batch already encoded as the
	// pipeline would encode Points, with the Submitter's Tags added unless
	// IgnoreGlobalHostTags: the HTTP API writes it while it decodes the
	// request (point.TranscodeLP), which saves building the points. Count
	// is its number of points. Submit must not keep Encoded once it returns.
	Encoded []byte
	Count   int
}

// Tagger is implemented by a Submitter that adds tags to every point (the
// Pipeline), for callers that fill Batch.Encoded.
type Tagger interface {
	// Tags are the host and global tags, sorted by key.
	Tags() []point.Tag
}

// ErrBusy is returned by Submit when the pipeline cannot take the batch now;
// the API answers 429 so the client retries (back-pressure, never a silent drop).
var ErrBusy = errors.New("pipeline is full")

// Submitter accepts batches. Submit returns only once the batch is as durable
// as the pipeline promises (see the pipeline docs), so a 200 can be trusted.
type Submitter interface {
	Submit(ctx context.Context, b *Batch) error
}

// Query selects recent points from the local output's in-memory window.
type Query struct {
	Category    string // empty: all
	Measurement string // empty: all
	Since       time.Duration
	Tags        []point.Tag // every tag must match
}

// Querier answers Query from the in-memory window.
type Querier interface {
	Query(q Query) []*point.Point
}
