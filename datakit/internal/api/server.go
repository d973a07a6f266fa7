// Package api is the supervisor's DataKit-compatible HTTP API: line
// protocol and JSON ingest, ping, last errors, metrics and a query of the
// local store's recent points. See README.md for the user documentation.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
	"netobs.local/agent/datakit/internal/view"
)

// DefaultMaxBodyBytes bounds a write body, on the wire and decompressed,
// when Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 32 << 20

// DefaultBodyTimeout bounds how long a request body may take to arrive
// when Config.BodyTimeout is zero.
const DefaultBodyTimeout = 30 * time.Second

// Config is the [http_api] section plus what the API reports about itself.
type Config struct {
	Listen       string   // host:port, e.g. 127.0.0.1:9529; port 0 picks one
	PublicAPIs   []string // routes open to non-loopback peers (see README)
	MaxBodyBytes int64    // 0: DefaultMaxBodyBytes
	// MaxInflightBytes is the budget of request memory across all requests
	// (see budget); 0: DefaultMaxInflightBytes.
	MaxInflightBytes int64
	// BusyWait is how long a request waits for room in the budget before
	// it is answered 429; 0: pipeline.DefaultBusyWait.
	BusyWait time.Duration
	// BodyTimeout bounds the time from the end of the headers to the end
	// of the body; 0: DefaultBodyTimeout.
	BodyTimeout time.Duration
	Limits      point.Limits
	Hostname    string
	Version     string
	Commit      string
	// View is the web view's aggregates (the local output's); nil: the
	// /v1/view/ routes answer 501.
	View *view.Store
	// Inputs are the configured inputs, for GET /v1/view/agent.
	Inputs []Input
}

// Input is a configured input as GET /v1/view/agent lists it.
type Input struct {
	Name   string `json:"name"`
	Source string `json:"source"` // file:line of its table
}

// Server serves the API. Create it with New, then Start and Shutdown.
type Server struct {
	cfg         Config
	sub         pipeline.Submitter
	query       pipeline.Querier
	log         *slog.Logger
	engine      *gin.Engine
	public      map[string]bool
	started     time.Time
	errors      *errorRing
	errorInputs *inputLabels // bounded labels of datakit_last_errors_total
	budget      *budget
	errLog      *limitedLog // the WARN line of POST /v1/lasterror
	slowLog     *limitedLog // bodies cut off by body_timeout
	sources     *sourceCounts

	srv *http.Server
	ln  net.Listener
}

// New builds the server. q may be nil when the local store is disabled;
// /v1/query then answers 501.
func New(cfg Config, sub pipeline.Submitter, q pipeline.Querier, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	// No message can be longer than the body that carries it.
	cfg.Limits = cfg.Limits.WithDefaults()
	cfg.Limits.MaxMessageBytes = int(min(int64(cfg.Limits.MaxMessageBytes), cfg.MaxBodyBytes))
	if cfg.MaxInflightBytes <= 0 {
		cfg.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if cfg.BusyWait <= 0 {
		cfg.BusyWait = pipeline.DefaultBusyWait
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg: cfg, sub: sub, query: q, log: log,
		public:      make(map[string]bool, len(cfg.PublicAPIs)),
		started:     time.Now(),
		errors:      newErrorRing(lastErrorsKept),
		errorInputs: newInputLabels(maxErrorInputs),
		budget:      newBudget(cfg.MaxInflightBytes, cfg.BusyWait),
		errLog:      newLimitedLog(),
		slowLog:     newLimitedLog(),
		sources:     newSourceCounts(maxErrorInputs),
	}
	for _, r := range cfg.PublicAPIs {
		s.public[r] = true
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(s.recoverPanic, s.observe, s.access)
	e.NoRoute(func(c *gin.Context) {
		fail(c, http.StatusNotFound, codeNotFound, "no route "+c.Request.Method+" "+c.Request.URL.Path)
	})
	e.POST("/v1/write/:category", s.write)
	e.GET("/v1/ping", s.ping)
	e.POST("/v1/lasterror", s.postLastError)
	e.GET("/v1/lasterror", s.getLastErrors)
	e.GET("/v1/query", s.queryPoints)
	e.GET("/metrics", s.metrics)
	e.GET("/", s.page)
	e.GET("/assets/*file", s.asset)
	e.GET("/v1/view/summary", s.viewRoute(viewSummary))
	e.GET("/v1/view/flows", s.viewRoute(viewFlows))
	e.GET("/v1/view/http", s.viewRoute(viewHTTP))
	e.GET("/v1/view/dns", s.viewRoute(viewDNS))
	e.GET("/v1/view/bash", s.viewRoute(viewBash))
	e.GET("/v1/view/netlog", s.viewRoute(viewNetlog))
	e.GET("/v1/view/health", s.viewRoute(s.viewHealth))
	e.GET("/v1/view/agent", s.viewAgent)
	s.engine = e
	return s
}

// Handler is the API as an http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.engine }

// Start binds the listen address and serves in the background; once it
// returns, Addr is the real address.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http api stopped", "err", err)
		}
	}()
	s.log.Info("http api listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the bound address ("" before Start).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting and waits for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}
