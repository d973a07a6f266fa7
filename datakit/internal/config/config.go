// Package config loads the supervisor's configuration: DIR/datakit.conf for
// the agent itself and its outputs, every other DIR/*.conf for inputs, then
// Kubernetes-style environment variables on top. Every problem is reported
// with its file, line and key, and all of them are reported at once.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/didyoumean"
	"netobs.local/agent/inputs"
)

// MainFile is the agent's own configuration file inside the conf dir.
const MainFile = "datakit.conf"

// DefaultConfDir is where an installed agent keeps its configuration.
const DefaultConfDir = "/usr/local/datakit/conf.d"

// Config is the whole, validated configuration.
type Config struct {
	Hostname string            `toml:"hostname"`
	DataDir  string            `toml:"data_dir"`
	LogLevel string            `toml:"log_level"`
	HTTPAPI  HTTPAPI           `toml:"http_api"`
	Tags     map[string]string `toml:"global_tags"`
	// DisableLocalOutput turns off the embedded local output that is added
	// when datakit.conf configures none.
	DisableLocalOutput bool `toml:"disable_local_output"`
	// Pipeline bounds the disk queues and sets the delivery defaults.
	Pipeline pipeline.Limits `toml:"pipeline"`

	ConfDir string           `toml:"-"`
	Outputs []OutputInstance `toml:"-"`
	Inputs  []InputInstance  `toml:"-"`
	// EnabledByEnv lists inputs created from ENV_ENABLE_INPUTS.
	EnabledByEnv []string `toml:"-"`
}

// HTTPAPI configures the ingest API.
type HTTPAPI struct {
	Listen       string   `toml:"listen"`
	PublicAPIs   []string `toml:"public_apis"`
	MaxBodyBytes int64    `toml:"max_body_bytes"`
	// MaxInflightBytes is the memory budget of all requests together
	// (bodies, inflated bodies, decoded points); a request that cannot get
	// room within pipeline.busy_wait is answered 429. It also sets the Go
	// memory limit unless GOMEMLIMIT is set.
	MaxInflightBytes int64 `toml:"max_inflight_bytes"`
	// BodyTimeout bounds how long a request body may take to arrive.
	BodyTimeout time.Duration `toml:"body_timeout"`
	// Per-point limits; a point over any of them rejects its batch.
	MaxTagsPerPoint   int `toml:"max_tags_per_point"`
	MaxFieldsPerPoint int `toml:"max_fields_per_point"`
	MaxKeyBytes       int `toml:"max_key_bytes"`
	MaxValueBytes     int `toml:"max_value_bytes"`
	MaxPointBytes     int `toml:"max_point_bytes"`
	// A log's "message" field: its own bound, as DataKit takes 32 MiB
	// messages; the body limit bounds it too.
	MaxMessageBytes int `toml:"max_message_bytes"`
}

// OutputInstance is one `[[outputs.KIND]]` table.
type OutputInstance struct {
	Kind   string // registered output kind
	Name   string // unique instance name: KIND, then KIND#2, ...
	Config outputs.Config
	Source string // file:line of the table
}

// InputInstance is one `[[inputs.NAME]]` table (or an ENV_ENABLE_INPUTS default).
type InputInstance struct {
	Name   string
	Input  inputs.Input
	Source string
	// Where the table is, for errors about its options: file, and the
	// line of the table and of each key set in it.
	file  string
	lines tableLines
	// fromEnv maps the options the environment set to their variables,
	// so that a problem with one is located there, not in the file (whose
	// value it overrode).
	fromEnv map[string]string
}

// minInflightPerBody is how many max_body_bytes max_inflight_bytes must hold.
const minInflightPerBody = 4

// Defaults returns the configuration used for everything a file leaves out.
func Defaults() Config {
	return Config{
		DataDir:  "/usr/local/datakit/data",
		LogLevel: "info",
		HTTPAPI: HTTPAPI{
			Listen:            "127.0.0.1:9529",
			MaxBodyBytes:      32 << 20,
			MaxInflightBytes:  256 << 20,
			BodyTimeout:       30 * time.Second,
			MaxTagsPerPoint:   256,
			MaxFieldsPerPoint: 1024,
			MaxKeyBytes:       256,
			MaxValueBytes:     64 << 10,
			MaxPointBytes:     1 << 20,
			MaxMessageBytes:   32 << 20,
		},
		Tags: map[string]string{},
	}
}

// Load reads dir and the environment. It returns every problem found, each
// an *Error, joined; a nil error means the configuration is usable.
func Load(dir string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	cfg := Defaults()
	cfg.ConfDir = dir
	var errs []error
	if st, err := os.Stat(dir); err != nil {
		return nil, &Error{File: dir, Msg: "cannot read the configuration folder: " + err.Error()}
	} else if !st.IsDir() {
		return nil, &Error{File: dir, Msg: "is not a folder (want the folder holding datakit.conf and the inputs' *.conf)"}
	}

	mainPath := filepath.Join(dir, MainFile)
	src, err := os.ReadFile(mainPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// No datakit.conf: defaults and environment only, like a fresh pod.
	case err != nil:
		errs = append(errs, &Error{File: mainPath, Msg: err.Error()})
	default:
		errs = append(errs, loadMain(mainPath, string(src), &cfg)...)
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		errs = append(errs, &Error{File: dir, Msg: err.Error()})
	}
	sort.Strings(files)
	for _, f := range files {
		if filepath.Base(f) == MainFile {
			continue
		}
		errs = append(errs, loadInputs(f, &cfg)...)
	}

	errs = append(errs, applyEnv(&cfg, env)...)
	errs = append(errs, finish(&cfg)...)
	if len(errs) > 0 {
		return nil, errors.Join(unique(errs)...)
	}
	return &cfg, nil
}

// mainFile is datakit.conf's shape: the agent's settings plus the raw output
// tables, decoded one by one into their registered kinds.
type mainFile struct {
	Config
	Outputs map[string][]toml.Primitive `toml:"outputs"`
	Inputs  map[string][]toml.Primitive `toml:"inputs"`
}

func loadMain(path, src string, cfg *Config) []error {
	mf := mainFile{Config: *cfg}
	md, err := toml.Decode(src, &mf)
	if err != nil {
		return []error{fromTOML(path, err)}
	}
	*cfg = mf.Config
	var errs []error
	for _, kind := range sortedKeys(mf.Outputs) {
		reg, ok := outputs.Get(kind)
		if !ok {
			errs = append(errs, &Error{File: path, Line: keyLine(src, "outputs."+kind), Key: "outputs." + kind,
				Msg: fmt.Sprintf("unknown output %q (known: %s)", kind, strings.Join(outputNames(), ", "))})
			markDecoded(&md, mf.Outputs[kind])
			continue
		}
		for i, prim := range mf.Outputs[kind] {
			c := reg.New()
			if err := md.PrimitiveDecode(prim, c); err != nil {
				errs = append(errs, fromTOML(path, err))
				continue
			}
			if v, ok := c.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					errs = append(errs, &Error{File: path, Line: keyLine(src, "outputs."+kind), Key: "outputs." + kind, Msg: err.Error()})
				}
			}
			name := kind
			if i > 0 {
				name = fmt.Sprintf("%s#%d", kind, i+1)
			}
			cfg.Outputs = append(cfg.Outputs, OutputInstance{Kind: kind, Name: name, Config: c,
				Source: fmt.Sprintf("%s:%d", path, keyLine(src, "outputs."+kind))})
		}
	}
	// Inputs may also live in datakit.conf, as in a single-file setup.
	errs = append(errs, decodeInputs(path, src, md, mf.Inputs, cfg)...)
	errs = append(errs, undecoded(path, src, md)...)
	return errs
}

func loadInputs(path string, cfg *Config) []error {
	src, err := os.ReadFile(path)
	if err != nil {
		return []error{&Error{File: path, Msg: err.Error()}}
	}
	var f struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode(string(src), &f)
	if err != nil {
		return []error{fromTOML(path, err)}
	}
	errs := decodeInputs(path, string(src), md, f.Inputs, cfg)
	return append(errs, undecoded(path, string(src), md)...)
}

func decodeInputs(path, src string, md toml.MetaData, tables map[string][]toml.Primitive, cfg *Config) []error {
	var errs []error
	for _, name := range sortedKeys(tables) {
		reg, ok := inputs.Get(name)
		if !ok {
			errs = append(errs, &Error{File: path, Line: keyLine(src, "inputs."+name), Key: "inputs." + name,
				Msg: fmt.Sprintf("unknown input %q (known: %s)", name, strings.Join(inputNames(), ", "))})
			markDecoded(&md, tables[name])
			continue
		}
		for i, prim := range tables[name] {
			in := reg.New()
			if err := md.PrimitiveDecode(prim, in); err != nil {
				errs = append(errs, fromTOML(path, err))
				continue
			}
			tl := findTable(src, "inputs."+name, i)
			cfg.Inputs = append(cfg.Inputs, InputInstance{Name: name, Input: in,
				Source: fmt.Sprintf("%s:%d", path, tl.header), file: path, lines: tl})
		}
	}
	return errs
}

// markDecoded decodes tables of unknown kinds into nothing, so their keys are
// not reported a second time as unknown keys.
func markDecoded(md *toml.MetaData, prims []toml.Primitive) {
	for _, p := range prims {
		var sink map[string]any
		_ = md.PrimitiveDecode(p, &sink)
	}
}

func undecoded(path, src string, md toml.MetaData) []error {
	var errs []error
	for _, k := range md.Undecoded() {
		key := k.String()
		msg := "unknown key" + didyoumean.Hint(k[len(k)-1], knownKeys(k[:len(k)-1]))
		errs = append(errs, &Error{File: path, Line: keyLine(src, key), Key: key, Msg: msg})
	}
	return errs
}

// finish validates the merged configuration and fills computed defaults.
func finish(cfg *Config) []error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, &Error{File: filepath.Join(cfg.ConfDir, MainFile), Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	if cfg.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			bad("hostname", "not set and the system's hostname is unavailable: %v", err)
		}
		cfg.Hostname = h
	}
	if cfg.DataDir == "" {
		bad("data_dir", "must not be empty")
	} else if !filepath.IsAbs(cfg.DataDir) {
		// Relative paths are relative to the conf dir, so `make run` works
		// from any working directory.
		cfg.DataDir = filepath.Join(cfg.ConfDir, cfg.DataDir)
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	if err := checkListen(cfg.HTTPAPI.Listen); err != nil {
		bad("http_api.listen", "%v", err)
	}
	if cfg.HTTPAPI.MaxBodyBytes < 1024 {
		bad("http_api.max_body_bytes", "must be at least 1024, got %d", cfg.HTTPAPI.MaxBodyBytes)
	}
	// A line-protocol body of max_body_bytes holds about 2.2 times its size
	// while it is decoded (the body, then the body and its encoded copy),
	// more when global tags lengthen short lines.
	if min := minInflightPerBody * cfg.HTTPAPI.MaxBodyBytes; cfg.HTTPAPI.MaxInflightBytes < min {
		bad("http_api.max_inflight_bytes", "must be at least %d times max_body_bytes (%d), so that a body of the largest size can be decoded, got %d",
			minInflightPerBody, min, cfg.HTTPAPI.MaxInflightBytes)
	}
	if cfg.HTTPAPI.BodyTimeout <= 0 {
		bad("http_api.body_timeout", "must be positive, got %v", cfg.HTTPAPI.BodyTimeout)
	}
	for key, v := range map[string]int{
		"http_api.max_tags_per_point": cfg.HTTPAPI.MaxTagsPerPoint, "http_api.max_fields_per_point": cfg.HTTPAPI.MaxFieldsPerPoint,
		"http_api.max_key_bytes": cfg.HTTPAPI.MaxKeyBytes, "http_api.max_value_bytes": cfg.HTTPAPI.MaxValueBytes,
		"http_api.max_point_bytes": cfg.HTTPAPI.MaxPointBytes, "http_api.max_message_bytes": cfg.HTTPAPI.MaxMessageBytes,
	} {
		if v <= 0 {
			bad(key, "must be positive, got %d", v)
		}
	}
	for k := range cfg.Tags {
		if k == "" {
			bad("global_tags", "empty tag key")
		}
	}
	if len(cfg.Outputs) == 0 && !cfg.DisableLocalOutput {
		if reg, ok := outputs.Get("local"); ok {
			cfg.Outputs = append(cfg.Outputs, OutputInstance{Kind: "local", Name: "local", Config: reg.New(), Source: "default"})
		}
	}
	if len(cfg.Outputs) == 0 {
		bad("outputs", "no output is configured and the local output is disabled: points would have nowhere to go")
	}
	for _, in := range cfg.Inputs {
		if v, ok := in.Input.(inputs.Validator); ok {
			errs = append(errs, validateInput(&in, v)...)
		}
	}
	return errs
}

// validateInput locates each of the input's problems: an option's at the
// line that sets it (or the table's, when the default is at fault).
func validateInput(in *InputInstance, v inputs.Validator) []error {
	err := v.Validate()
	if err == nil {
		return nil
	}
	all := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	}
	var errs []error
	for _, e := range all {
		var oe *inputs.OptionError
		if in.file == "" || !errors.As(e, &oe) {
			errs = append(errs, &Error{File: in.Source, Key: "inputs." + in.Name, Msg: e.Error()})
			continue
		}
		line := in.lines.keys[oe.Option]
		if name := in.fromEnv[oe.Option]; name != "" {
			// The environment overrides the file. Worded as the input's
			// ApplyEnv words it, so that the two are one.
			errs = append(errs, &Error{File: "environment", Key: "inputs." + in.Name, Msg: fmt.Sprintf("%s (option %s): %v", name, oe.Option, oe.Err)})
			continue
		}
		if line == 0 {
			line = in.lines.header
		}
		errs = append(errs, &Error{File: in.file, Line: line, Key: "inputs." + in.Name + "." + oe.Option, Msg: oe.Err.Error()})
	}
	return errs
}

// unique drops repeated errors: a value set by the environment is checked
// when it is applied and again with the whole configuration.
func unique(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// Same reports whether two loads gave the same configuration (comments
// and layout of the files aside), so that a reload can be skipped.
func Same(a, b *Config) bool { return reflect.DeepEqual(unplaced(a), unplaced(b)) }

// unplaced is c without where its parts were written.
func unplaced(c *Config) Config {
	out := *c
	out.Inputs = make([]InputInstance, len(c.Inputs))
	for i, in := range c.Inputs {
		out.Inputs[i] = InputInstance{Name: in.Name, Input: in.Input}
	}
	out.Outputs = make([]OutputInstance, len(c.Outputs))
	for i, o := range c.Outputs {
		o.Source = ""
		out.Outputs[i] = o
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func outputNames() []string {
	var n []string
	for _, r := range outputs.All() {
		n = append(n, r.Name)
	}
	return n
}

func inputNames() []string {
	var n []string
	for _, r := range inputs.All() {
		n = append(n, r.Name)
	}
	return n
}
