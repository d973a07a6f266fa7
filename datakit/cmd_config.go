package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/inputs"
)

func init() {
	commands["check-config"] = command{"validate the configuration and exit", checkConfig}
	commands["inputs"] = command{"list the inputs this build knows", listInputs}
}

// confDirFlag adds the shared --conf-dir flag to fs.
func confDirFlag(fs *flag.FlagSet) *string {
	return fs.String("conf-dir", config.DefaultConfDir, "configuration folder: datakit.conf and the inputs' *.conf")
}

// loadFromFlags parses `--conf-dir DIR` and loads DIR. On failure it has
// already printed why and returns the exit code (2 usage, 1 bad config).
func loadFromFlags(command string, args []string, stderr io.Writer) (cfg *config.Config, dir string, code int) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := confDirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return nil, "", 2
	}
	cfg, err := config.Load(*d, nil)
	if err != nil {
		printConfigErrors(stderr, err)
		return nil, *d, 1
	}
	return cfg, *d, 0
}

func checkConfig(args []string, stdout, stderr io.Writer) int {
	cfg, dir, code := loadFromFlags("check-config", args, stderr)
	if cfg == nil {
		return code
	}
	fmt.Fprintf(stdout, "%s: ok (%d outputs, %d inputs)\n", dir, len(cfg.Outputs), len(cfg.Inputs))
	return 0
}

// printConfigErrors prints one configuration problem a line.
func printConfigErrors(w io.Writer, err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			fmt.Fprintln(w, "config error:", e)
		}
		return
	}
	fmt.Fprintln(w, "config error:", err)
}

func listInputs(args []string, stdout, stderr io.Writer) int {
	var lines []string
	for _, r := range inputs.All() {
		lines = append(lines, r.Name)
	}
	fmt.Fprint(stdout, joinLines(lines))
	return 0
}
