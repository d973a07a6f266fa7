package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"netobs.local/agent/externals/ebpf/internal/config"
	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/loader"
)

func run(args []string) error {
	c, err := config.Parse(args, os.Stderr)
	if err != nil {
		return err
	}
	log, closeLog, err := newLogger(c)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	if slices.Contains(c.L7Enabled, "httpflow-tls") {
		log.Warn("l7net-enabled: httpflow-tls is not implemented yet; plaintext httpflow only")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	sink, senderDone, err := newSink(ctx, c, log)
	if err != nil {
		return err
	}
	defer senderDone()
	plugins, err := selectPlugins(c, sink, log)
	if err != nil {
		return err
	}
	notes, err := loader.Prepare()
	for _, n := range notes {
		log.Info(n)
	}
	if err != nil {
		return err
	}
	if c.BPFStats {
		if stats, err := loader.EnableRunStats(); err != nil {
			log.Warn("BPF run-time statistics unavailable", "err", err)
		} else {
			defer stats.Close()
		}
	}
	startPprof(c, log)

	var started []plugin
	defer func() { // reverse order: the last started stops first
		for i := len(started) - 1; i >= 0; i-- {
			if err := started[i].Stop(); err != nil {
				log.Error("stop", "plugin", started[i].Name(), "err", err)
			}
			if err := started[i].Close(); err != nil {
				log.Error("close", "plugin", started[i].Name(), "err", err)
			}
		}
	}()
	for _, p := range plugins {
		if err := p.Load(); err != nil {
			return err
		}
		if err := p.Start(ctx); err != nil {
			p.Close()
			return err
		}
		started = append(started, p)
		log.Info("plugin started", "plugin", p.Name(), "interval", c.Interval)
	}
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

// newSink returns the --output writer, or the HTTP sender and a function
// that waits for it to deliver what is queued.
func newSink(ctx context.Context, c *config.Config, log *slog.Logger) (deliver.Sink, func(), error) {
	if c.Output != "" {
		w, closer, err := deliver.NewWriter(c.Output)
		if err != nil {
			return nil, nil, err
		}
		w.Err = func(err error) { log.Error("write output", "err", err) }
		return w, func() { closer.Close() }, nil
	}
	s, err := deliver.NewSender(c.APIServer, 256, log)
	if err != nil {
		return nil, nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(sctx); close(done) }()
	rctx, stopReport := context.WithCancel(context.Background())
	reported := make(chan struct{})
	go func() { s.ReportSelf(rctx, c.Interval, baseTags(c)); close(reported) }()
	return s, func() {
		stopReport()
		<-reported // its last point is queued before the sender drains
		cancel()
		<-done
	}, nil
}

func newLogger(c *config.Config) (*slog.Logger, io.Closer, error) {
	var w io.Writer = os.Stderr
	var closer io.Closer = io.NopCloser(nil)
	if c.Log != "" && c.Log != "-" {
		f, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("--log: %w", err)
		}
		w, closer = f, f
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(h).With("service", c.Service), closer, nil
}

func startPprof(c *config.Config, log *slog.Logger) {
	if c.PprofPort == "" {
		return
	}
	addr := net.JoinHostPort(c.PprofHost, c.PprofPort)
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server", "addr", addr, "err", err)
		}
	}()
}

// procRoot is the proc filesystem to read, honouring HOST_PROC as DataKit
// does when it runs in a container with the host mounted.
func procRoot() string {
	if p := os.Getenv("HOST_PROC"); p != "" {
		return p
	}
	return "/proc"
}

// hostRoot is the host's root filesystem: HOST_ROOT when the collector
// runs in a container with the host mounted (DataKit's /rootfs), else /.
func hostRoot() string {
	if p := os.Getenv("HOST_ROOT"); p != "" {
		return p
	}
	return "/"
}
