package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

// SenderStats are the sender's cumulative counters.
type SenderStats struct {
	Points, Errors, Drops atomic.Uint64
}

// Sender POSTs batches to the supervisor's /v1/write/<category>?input=...
// from a bounded queue. A batch is retried with exponential backoff on
// network errors, 429 (honouring Retry-After) and 5xx, and dropped (and
// counted) on other 4xx or when MaxElapsed passes. Errors are reported
// to /v1/lasterror, at most once per ErrorEvery.
type Sender struct {
	Base       *url.URL
	Client     *http.Client
	MaxElapsed time.Duration // give up on a batch after this long
	MinBackoff time.Duration
	MaxBackoff time.Duration
	ErrorEvery time.Duration
	Log        *slog.Logger
	Stats      SenderStats

	queue     chan batch
	wg        sync.WaitGroup
	lastError atomic.Int64 // unix nanos of the last /v1/lasterror post
	self      selfLast     // counters at the previous SelfPoint
}

type batch struct {
	category, input string
	body            []byte
	points          int
}

// NewSender posts to apiserver (host:port; 0.0.0.0 means this host).
func NewSender(apiserver string, queueBatches int, log *slog.Logger) (*Sender, error) {
	host, port, err := splitHostPort(apiserver)
	if err != nil {
		return nil, fmt.Errorf("--datakit-apiserver %q: %w", apiserver, err)
	}
	return &Sender{
		Base:       &url.URL{Scheme: "http", Host: host + ":" + port},
		Client:     &http.Client{Timeout: 10 * time.Second},
		MaxElapsed: 2 * time.Minute,
		MinBackoff: 200 * time.Millisecond,
		MaxBackoff: 10 * time.Second,
		ErrorEvery: 10 * time.Second,
		Log:        log,
		queue:      make(chan batch, queueBatches),
	}, nil
}

// Write encodes and enqueues pts; a full queue drops the batch (counted)
// rather than stalling the plugin that produced it.
func (s *Sender) Write(category, input string, pts []lp.Point) {
	if len(pts) == 0 {
		return
	}
	body, err := lp.Encode(nil, pts)
	if err != nil {
		s.Stats.Drops.Add(uint64(len(pts)))
		s.Log.Error("encode points", "input", input, "err", err)
		return
	}
	select {
	case s.queue <- batch{category, input, body, len(pts)}:
	default:
		s.Stats.Drops.Add(uint64(len(pts)))
	}
}

// Run delivers batches until ctx ends, then delivers what is queued and
// in flight (bounded by a short grace period) and returns.
func (s *Sender) Run(ctx context.Context) {
	// Posts outlive ctx by the grace period: cancelling the one in flight
	// at shutdown would drop it.
	posts, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })()
	for {
		select {
		case b := <-s.queue:
			s.deliver(posts, b)
		case <-ctx.Done():
			for {
				select {
				case b := <-s.queue:
					s.deliver(posts, b)
				default:
					return
				}
			}
		}
	}
}

const shutdownGrace = 3 * time.Second

func (s *Sender) deliver(ctx context.Context, b batch) {
	u := *s.Base
	u.Path = "/v1/write/" + b.category
	u.RawQuery = url.Values{"input": {b.input}}.Encode()
	backoff := s.MinBackoff
	deadline := time.Now().Add(s.MaxElapsed)
	for {
		retryAfter, err := s.post(ctx, u.String(), b.body)
		if err == nil {
			s.Stats.Points.Add(uint64(b.points))
			return
		}
		s.Stats.Errors.Add(1)
		retry, isRetryable := err.(retryable)
		if !isRetryable || ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			s.Stats.Drops.Add(uint64(b.points))
			s.reportError(b.input, fmt.Errorf("dropped %d points: %w", b.points, err))
			return
		}
		wait := backoff
		if retryAfter > wait {
			wait = retryAfter
		}
		s.Log.Warn("post failed, retrying", "url", u.String(), "err", retry.error, "in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, s.MaxBackoff)
	}
}

type retryable struct{ error }

func (s *Sender) post(ctx context.Context, url string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, retryable{err}
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return 0, nil
	}
	err = fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return time.Duration(secs) * time.Second, retryable{err}
	}
	return 0, err
}

// ReportError posts err to /v1/lasterror (rate-limited) and logs it.
func (s *Sender) ReportError(source string, err error) { s.reportError(source, err) }

func (s *Sender) reportError(source string, err error) {
	s.Log.Error("delivery", "source", source, "err", err)
	now, last := time.Now().UnixNano(), s.lastError.Load()
	if now-last < int64(s.ErrorEvery) || !s.lastError.CompareAndSwap(last, now) {
		return
	}
	body, _ := json.Marshal(map[string]string{"input": "ebpf", "source": source, "err_content": err.Error()})
	u := *s.Base
	u.Path = "/v1/lasterror"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if resp, rerr := s.Client.Do(req); rerr == nil {
		resp.Body.Close()
	}
}
