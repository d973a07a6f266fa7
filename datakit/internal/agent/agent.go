// Package agent assembles a running supervisor from a loaded configuration:
// outputs, the pipeline in front of them, the HTTP API, and the inputs.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"netobs.local/agent/datakit/internal/api"
	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
	"netobs.local/agent/datakit/internal/version"
	"netobs.local/agent/datakit/internal/view"
	"netobs.local/agent/inputs"
)

// Agent is one running configuration. A reload stops it and starts another.
type Agent struct {
	cfg    *config.Config
	log    *slog.Logger
	pipe   *pipeline.Pipeline
	server *api.Server

	cancelInputs context.CancelFunc
	inputs       sync.WaitGroup
}

// Start builds everything cfg describes and starts serving. On error,
// whatever was started is stopped again.
func Start(cfg *config.Config, log *slog.Logger) (*Agent, error) {
	a := &Agent{cfg: cfg, log: log}
	built := map[string]outputs.Output{}
	for _, o := range cfg.Outputs {
		out, err := o.Config.Build(outputs.Env{Name: o.Name, DataDir: cfg.DataDir, Log: log.With("output", o.Name)})
		if err != nil {
			closeAll(built)
			return nil, fmt.Errorf("output %s (%s): %w", o.Name, o.Source, err)
		}
		built[o.Name] = out
	}
	pipe, err := pipeline.New(pipeline.Options{
		Hostname: cfg.Hostname, GlobalTags: cfg.Tags, Outputs: built,
		DataDir: cfg.DataDir, Limits: cfg.Pipeline, Log: log.With("component", "pipeline"),
	})
	if err != nil {
		closeAll(built)
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	a.pipe = pipe

	h := cfg.HTTPAPI
	setMemoryLimit(h.MaxInflightBytes, log)
	var store *view.Store
	if src, ok := pipe.Querier().(view.Source); ok {
		store = src.View()
	}
	var ins []api.Input
	for _, in := range cfg.Inputs {
		ins = append(ins, api.Input{Name: in.Name, Source: in.Source})
	}
	a.server = api.New(api.Config{
		Listen: h.Listen, PublicAPIs: h.PublicAPIs, MaxBodyBytes: h.MaxBodyBytes,
		MaxInflightBytes: h.MaxInflightBytes, BusyWait: cfg.Pipeline.BusyWait, BodyTimeout: h.BodyTimeout,
		Limits: point.Limits{MaxTags: h.MaxTagsPerPoint, MaxFields: h.MaxFieldsPerPoint,
			MaxKeyBytes: h.MaxKeyBytes, MaxValueBytes: h.MaxValueBytes, MaxPointBytes: h.MaxPointBytes,
			MaxMessageBytes: h.MaxMessageBytes},
		Hostname: cfg.Hostname, Version: version.Version, Commit: version.Commit,
		View: store, Inputs: ins,
	}, pipe, pipe.Querier(), log.With("component", "api"))
	if err := a.server.Start(); err != nil {
		_ = pipe.Close()
		return nil, fmt.Errorf("http api on %s: %w", h.Listen, err)
	}
	log.Info("serving", "addr", a.server.Addr(), "outputs", len(built), "inputs", len(cfg.Inputs))

	ctx, cancel := context.WithCancel(context.Background())
	a.cancelInputs = cancel
	for _, in := range cfg.Inputs {
		a.startInput(ctx, in)
	}
	return a, nil
}

// Addr is the API's listening address.
func (a *Agent) Addr() string { return a.server.Addr() }

func (a *Agent) startInput(ctx context.Context, in config.InputInstance) {
	log := a.log.With("input", in.Name)
	env := inputs.Env{Hostname: a.cfg.Hostname, APIAddr: a.server.Addr(), DataDir: a.cfg.DataDir, Log: log}
	a.inputs.Add(1)
	go func() {
		defer a.inputs.Done()
		log.Info("input started", "source", in.Source)
		if err := in.Input.Run(ctx, env); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("input stopped", "err", err)
			return
		}
		log.Info("input stopped")
	}()
}

// Stop stops the inputs first (so children stop posting), then the API, then
// flushes what the outputs can take before ctx ends; the rest stays spooled.
func (a *Agent) Stop(ctx context.Context) error {
	a.cancelInputs()
	done := make(chan struct{})
	go func() { a.inputs.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		a.log.Warn("inputs did not stop in time")
	}
	var errs []error
	if err := a.server.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http api: %w", err))
	}
	flushCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.pipe.Flush(flushCtx); err != nil {
		a.log.Info("not everything was delivered before stopping; it stays spooled", "err", err)
	}
	if err := a.pipe.Close(); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: %w", err))
	}
	return errors.Join(errs...)
}

func closeAll(outs map[string]outputs.Output) {
	for _, o := range outs {
		_ = o.Close()
	}
}
