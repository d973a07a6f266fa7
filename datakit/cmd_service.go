package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/datakit/internal/service"
)

func init() {
	commands["service"] = command{"manage the systemd service: " + strings.Join(service.Actions, "|"), manageService}
}

func manageService(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "usage: datakit service <%s> [--conf-dir DIR]\n", strings.Join(service.Actions, "|"))
		return 2
	}
	action := args[0]
	fs := flag.NewFlagSet("service "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := confDirFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "datakit service:", err)
		return 1
	}
	opts := service.Options{ConfDir: abs, Out: stdout}
	// The unit keeps the configured data_dir writable, so installing reads
	// the configuration; other actions do not need it to be valid.
	if action == "install" {
		cfg, err := config.Load(abs, nil)
		if err != nil {
			printConfigErrors(stderr, err)
			return 1
		}
		opts.DataDir = cfg.DataDir
	}
	if err := service.Manage(action, opts); err != nil {
		fmt.Fprintln(stderr, "datakit service:", err)
		return 1
	}
	return 0
}
