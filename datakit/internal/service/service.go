// Package service installs and drives datakit's systemd unit:
// `datakit service install|uninstall|start|stop|status`.
//
// The unit is an embedded copy of packaging/systemd/datakit.service (a test
// keeps the two equal) with the binary, conf dir and data dir filled in.
package service

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed datakit.service
var unitTemplate string

// Unit is the name of the installed unit.
const Unit = "datakit.service"

// Actions are the verbs Manage accepts.
var Actions = []string{"install", "uninstall", "start", "stop", "status"}

// Options says what to install and where. Zero values take the defaults.
type Options struct {
	Binary  string // datakit's path; default: the running executable
	ConfDir string // default /usr/local/datakit/conf.d
	DataDir string // data_dir of the config, kept writable; default /usr/local/datakit/data
	Out     io.Writer

	// Where systemd lives; tests point these elsewhere.
	UnitDir    string // default /etc/systemd/system
	SystemdDir string // present while systemd runs; default /run/systemd/system
	Systemctl  string // default "systemctl"
}

func (o *Options) fill() error {
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot tell datakit's own path (%v): pass the binary path", err)
		}
		o.Binary = exe
	}
	defaults := []struct {
		field *string
		value string
	}{
		{&o.ConfDir, "/usr/local/datakit/conf.d"}, {&o.DataDir, "/usr/local/datakit/data"},
		{&o.UnitDir, "/etc/systemd/system"}, {&o.SystemdDir, "/run/systemd/system"}, {&o.Systemctl, "systemctl"},
	}
	for _, d := range defaults {
		if *d.field == "" {
			*d.field = d.value
		}
	}
	for _, p := range []*string{&o.Binary, &o.ConfDir, &o.DataDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	return nil
}

// Manage performs action on the datakit unit. It fails with a clear error
// on hosts where systemd is not running.
func Manage(action string, opts Options) error {
	known := false
	for _, a := range Actions {
		known = known || a == action
	}
	if !known {
		return fmt.Errorf("unknown service action %q (want one of: %s)", action, strings.Join(Actions, ", "))
	}
	if err := opts.fill(); err != nil {
		return err
	}
	if _, err := os.Stat(opts.SystemdDir); err != nil {
		return fmt.Errorf("systemd is not running on this host (%s is missing), so `datakit service %s` cannot manage %s; "+
			"run `%s run --conf-dir %s` under your init system instead (see packaging/README.md)",
			opts.SystemdDir, action, Unit, opts.Binary, opts.ConfDir)
	}
	unitPath := filepath.Join(opts.UnitDir, Unit)
	switch action {
	case "install":
		return install(opts, unitPath)
	case "uninstall":
		return uninstall(opts, unitPath)
	case "status":
		return status(opts)
	default: // start, stop
		if _, err := os.Stat(unitPath); err != nil {
			return fmt.Errorf("%s is not installed (%s is missing): run `datakit service install` first", Unit, unitPath)
		}
		return systemctl(opts, action, Unit)
	}
}

func install(opts Options, unitPath string) error {
	unit, err := Render(opts.Binary, opts.ConfDir, opts.DataDir)
	if err != nil {
		return err
	}
	// The sandbox makes the install folder read-only; data_dir must exist
	// before the start to be bound writable.
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data_dir: %w", err)
	}
	if err := writeAtomic(unitPath, []byte(unit)); err != nil {
		return fmt.Errorf("write %s: %w", unitPath, err)
	}
	if err := systemctl(opts, "daemon-reload"); err != nil {
		return err
	}
	if err := systemctl(opts, "enable", Unit); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "installed and enabled %s (%s run --conf-dir %s); start it with `datakit service start`\n",
		unitPath, opts.Binary, opts.ConfDir)
	return nil
}

func uninstall(opts Options, unitPath string) error {
	if _, err := os.Stat(unitPath); err != nil {
		return fmt.Errorf("%s is not installed (%s is missing)", Unit, unitPath)
	}
	if err := systemctl(opts, "disable", "--now", Unit); err != nil {
		return err
	}
	if err := os.Remove(unitPath); err != nil {
		return err
	}
	if err := systemctl(opts, "daemon-reload"); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "stopped, disabled and removed %s\n", unitPath)
	return nil
}

// status shows systemctl's view and fails unless the service is running.
func status(opts Options) error {
	cmd := exec.Command(opts.Systemctl, "status", "--no-pager", Unit)
	cmd.Stdout, cmd.Stderr = opts.Out, opts.Out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// systemctl status: 3 = not running, 4 = no such unit.
		switch exit.ExitCode() {
		case 3:
			return fmt.Errorf("%s is not running", Unit)
		case 4:
			return fmt.Errorf("%s is not installed: run `datakit service install`", Unit)
		}
	}
	if err != nil {
		return fmt.Errorf("systemctl status %s: %w", Unit, err)
	}
	return nil
}

func systemctl(opts Options, args ...string) error {
	out, err := exec.Command(opts.Systemctl, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".datakit.service.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
