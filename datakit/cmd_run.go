package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"netobs.local/agent/datakit/internal/agent"
	"netobs.local/agent/datakit/internal/config"
)

func init() {
	commands["run"] = command{"run the supervisor (SIGHUP reloads, SIGTERM stops)", runAgent}
}

// stopTimeout bounds a graceful stop: inputs, API, and a last flush.
const stopTimeout = 15 * time.Second

func runAgent(args []string, stdout, stderr io.Writer) int {
	cfg, dir, code := loadFromFlags("run", args, stderr)
	if cfg == nil {
		return code
	}
	level := new(slog.LevelVar)
	level.Set(cfg.Level())
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

	a, err := agent.Start(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	for sig := range signals {
		if sig != syscall.SIGHUP {
			log.Info("stopping", "signal", sig.String())
			return stop(a, log)
		}
		// A reload that does not load keeps the running configuration: a
		// typo in a file must not take the agent down.
		next, err := config.Load(dir, nil)
		if err != nil {
			log.Error("reload refused, keeping the running configuration", "err", err)
			continue
		}
		if config.Same(cfg, next) {
			// Restarting would only cost the collector its state.
			log.Info("configuration unchanged; nothing to reload", "conf_dir", dir)
			continue
		}
		cfg = next
		log.Info("reloading", "conf_dir", dir)
		if stop(a, log) != 0 {
			log.Warn("the old configuration did not stop cleanly")
		}
		level.Set(next.Level())
		if a, err = agent.Start(next, log); err != nil {
			log.Error("reload failed to start; exiting so the service manager restarts us", "err", err)
			return 1
		}
	}
	return 0
}

func stop(a *agent.Agent, log *slog.Logger) int {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		log.Error("stop", "err", err)
		return 1
	}
	return 0
}
