package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netobs.local/agent/datakit/internal/outputs"
	"netobs.local/agent/inputs"
)

type fakeOutputConfig struct {
	URL     string `toml:"url"`
	Timeout string `toml:"timeout"`
}

func (c *fakeOutputConfig) Build(outputs.Env) (outputs.Output, error) { return nil, nil }
func (c *fakeOutputConfig) Validate() error {
	if c.URL == "" {
		return errors.New("url is required")
	}
	return nil
}

type fakeInput struct {
	Interval string            `toml:"interval"`
	Features []string          `toml:"features"`
	Tags     map[string]string `toml:"tags"`
	fromEnv  string
}

func (f *fakeInput) Validate() error {
	for _, x := range f.Features {
		if x != "ok" {
			return errors.Join(&inputs.OptionError{Option: "features", Err: fmt.Errorf("unknown feature %q", x)})
		}
	}
	return nil
}

func (f *fakeInput) Run(ctx context.Context, _ inputs.Env) error { <-ctx.Done(); return nil }
func (f *fakeInput) EnvVars() []inputs.EnvVar {
	return []inputs.EnvVar{{Name: "ENV_INPUT_FAKEIN_INTERVAL", Option: "interval"}, {Name: "ENV_INPUT_FAKEIN_FEATURES", Option: "features"}}
}
func (f *fakeInput) ApplyEnv(lookup func(string) (string, bool)) error {
	if v, ok := lookup("ENV_INPUT_FAKEIN_FEATURES"); ok {
		f.Features = strings.Split(v, ",")
	}
	if v, ok := lookup("ENV_INPUT_FAKEIN_INTERVAL"); ok {
		if v == "bad" {
			return errors.New("ENV_INPUT_FAKEIN_INTERVAL: bad duration")
		}
		f.Interval, f.fromEnv = v, v
	}
	return nil
}

func init() {
	outputs.Add("fakeout", "[[outputs.fakeout]]\nurl = \"x\"\n", func() outputs.Config { return &fakeOutputConfig{Timeout: "5s"} })
	outputs.Add("local", "[[outputs.local]]\n", func() outputs.Config { return &fakeOutputConfig{URL: "local"} })
	inputs.Add("fakein", "[[inputs.fakein]]\n", func() inputs.Input { return &fakeInput{Interval: "10s"} })
}

func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func noEnv(string) (string, bool) { return "", false }

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadGood(t *testing.T) {
	dir := writeConf(t, map[string]string{
		"datakit.conf": `hostname = "h1"
data_dir = "data"
[http_api]
listen = "127.0.0.1:19529"
public_apis = ["/v1/ping"]
[global_tags]
cluster = "c1"
[[outputs.fakeout]]
url = "http://127.0.0.1:8428"
[[outputs.fakeout]]
url = "http://127.0.0.1:8429"
`,
		"fake.conf": "[[inputs.fakein]]\ninterval = \"3s\"\n[inputs.fakein.tags]\na = \"b\"\n",
	})
	cfg, err := Load(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != "h1" || cfg.DataDir != filepath.Join(dir, "data") || cfg.HTTPAPI.Listen != "127.0.0.1:19529" {
		t.Errorf("agent settings: %+v", cfg)
	}
	if cfg.HTTPAPI.MaxBodyBytes != Defaults().HTTPAPI.MaxBodyBytes {
		t.Errorf("defaults lost: max_body_bytes = %d", cfg.HTTPAPI.MaxBodyBytes)
	}
	if len(cfg.Outputs) != 2 || cfg.Outputs[1].Name != "fakeout#2" || cfg.Outputs[0].Config.(*fakeOutputConfig).Timeout != "5s" {
		t.Errorf("outputs: %+v", cfg.Outputs)
	}
	if len(cfg.Inputs) != 1 || cfg.Inputs[0].Input.(*fakeInput).Interval != "3s" || cfg.Inputs[0].Input.(*fakeInput).Tags["a"] != "b" {
		t.Errorf("inputs: %+v", cfg.Inputs)
	}
}

func TestLocalOutputByDefault(t *testing.T) {
	cfg, err := Load(writeConf(t, map[string]string{"datakit.conf": "hostname = \"h\"\n"}), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Outputs) != 1 || cfg.Outputs[0].Kind != "local" {
		t.Fatalf("want the default local output, got %+v", cfg.Outputs)
	}
	_, err = Load(writeConf(t, map[string]string{"datakit.conf": "disable_local_output = true\n"}), noEnv)
	if err == nil || !strings.Contains(err.Error(), "no output is configured") {
		t.Fatalf("want an error for no outputs, got %v", err)
	}
}

func TestLoadErrorsNameFileLineKey(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown key", map[string]string{"datakit.conf": "hostname = \"h\"\n\n[http_api]\nlisten = \"127.0.0.1:1\"\nlistne = \"x\"\n"},
			[]string{"datakit.conf:5: http_api.listne: unknown key"}},
		{"wrong type", map[string]string{"datakit.conf": "hostname = \"h\"\n[http_api]\nmax_body_bytes = \"big\"\n"},
			[]string{"datakit.conf:3: http_api.max_body_bytes: incompatible types"}},
		{"bad value", map[string]string{"datakit.conf": "[http_api]\nlisten = \"nowhere\"\n"},
			[]string{"http_api.listen: \"nowhere\" is not host:port"}},
		{"syntax", map[string]string{"datakit.conf": "hostname = \"h\nx=1\n"},
			[]string{"datakit.conf:1"}},
		{"unknown output", map[string]string{"datakit.conf": "\n[[outputs.kafka]]\nbrokers = [\"x\"]\n"},
			[]string{"datakit.conf:2: outputs.kafka: unknown output \"kafka\""}},
		{"output validate", map[string]string{"datakit.conf": "[[outputs.fakeout]]\ntimeout = \"1s\"\n"},
			[]string{"outputs.fakeout: url is required"}},
		{"unknown input key", map[string]string{"in.conf": "[[inputs.fakein]]\n  intervall = \"1s\"\n"},
			[]string{"in.conf:2: inputs.fakein.intervall: unknown key"}},
		{"unknown input", map[string]string{"in.conf": "[[inputs.nope]]\n"},
			[]string{"in.conf:1: inputs.nope: unknown input \"nope\""}},
		{"input wrong type", map[string]string{"in.conf": "[[inputs.fakein]]\ninterval = 5\n"},
			[]string{"in.conf:2: inputs.fakein.interval: incompatible types"}},
		{"all errors at once", map[string]string{"datakit.conf": "log_level = \"loud\"\n", "in.conf": "[[inputs.fakein]]\nx = 1\n"},
			[]string{"log_level: unknown level", "in.conf:2: inputs.fakein.x: unknown key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConf(t, tc.files), noEnv)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	dir := writeConf(t, map[string]string{"datakit.conf": "hostname = \"file\"\n[global_tags]\na = \"1\"\n"})
	cfg, err := Load(dir, envOf(map[string]string{
		"ENV_HOSTNAME":              "pod-host",
		"ENV_HTTP_LISTEN":           "0.0.0.0:9530",
		"ENV_GLOBAL_TAGS":           "cluster=prod, zone=a",
		"ENV_ENABLE_INPUTS":         "fakein",
		"ENV_INPUT_FAKEIN_INTERVAL": "7s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != "pod-host" || cfg.HTTPAPI.Listen != "0.0.0.0:9530" {
		t.Errorf("agent env not applied: %+v", cfg)
	}
	if len(cfg.Tags) != 2 || cfg.Tags["cluster"] != "prod" || cfg.Tags["zone"] != "a" {
		t.Errorf("global tags: %v", cfg.Tags)
	}
	if len(cfg.Inputs) != 1 || cfg.Inputs[0].Input.(*fakeInput).fromEnv != "7s" {
		t.Errorf("input env: %+v", cfg.Inputs)
	}

	_, err = Load(dir, envOf(map[string]string{"ENV_GLOBAL_TAGS": "novalue", "ENV_ENABLE_INPUTS": "fakein,ghost", "ENV_HTTP_MAX_BODY_BYTES": "lots"}))
	for _, w := range []string{"ENV_GLOBAL_TAGS: \"novalue\" is not k=v", "ENV_ENABLE_INPUTS: unknown input \"ghost\"", "ENV_HTTP_MAX_BODY_BYTES"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not contain %q", err, w)
		}
	}
	_, err = Load(writeConf(t, map[string]string{"f.conf": "[[inputs.fakein]]\n"}), envOf(map[string]string{"ENV_INPUT_FAKEIN_INTERVAL": "bad"}))
	if err == nil || !strings.Contains(err.Error(), "ENV_INPUT_FAKEIN_INTERVAL: bad duration") {
		t.Errorf("input env error not reported: %v", err)
	}
}

// A bad value from the environment is located at its variable, even when
// the file sets the option too: that value was overridden.
func TestEnvValueErrorNamesTheVariable(t *testing.T) {
	dir := writeConf(t, map[string]string{"f.conf": "[[inputs.fakein]]\n  features = [\"ok\"]\n"})
	_, err := Load(dir, envOf(map[string]string{"ENV_INPUT_FAKEIN_FEATURES": "grpc"}))
	want := `environment: inputs.fakein: ENV_INPUT_FAKEIN_FEATURES (option features): unknown feature "grpc"`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want exactly %q", err, want)
	}
}

func TestKeyLine(t *testing.T) {
	src := "a = 1\n[x]\nb = 2\n[[inputs.y]]\n  c = 3 # note\n\"d\" = 4\n"
	for key, want := range map[string]int{"a": 1, "x": 2, "x.b": 3, "inputs.y": 4, "inputs.y.c": 5, "inputs.y.d": 6, "zz": 0} {
		if got := keyLine(src, key); got != want {
			t.Errorf("keyLine(%q) = %d, want %d", key, got, want)
		}
	}
}

// TestSame: loading an unchanged folder twice gives the same configuration
// (a SIGHUP then restarts nothing); a changed value does not.
func TestSame(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) { os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644) }
	write("datakit.conf", "hostname = \"h\"\n[global_tags]\n  a = \"1\"\n")
	write("ebpf.conf", "[[inputs.fakein]]\n  interval = \"10s\"\n")
	a, err := Load(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	write("ebpf.conf", "# a comment\n[[inputs.fakein]]\n  interval = \"10s\"\n")
	b, _ := Load(dir, noEnv)
	if !Same(a, b) {
		t.Fatal("the same configuration is not Same")
	}
	write("ebpf.conf", "[[inputs.fakein]]\n  interval = \"20s\"\n")
	if c, _ := Load(dir, noEnv); Same(a, c) {
		t.Fatal("a changed interval is Same")
	}
}

// TestMissingFolder: a folder that is not there is an error, not defaults.
func TestMissingFolder(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "cannot read the configuration folder") {
		t.Fatalf("got %v", err)
	}
}

// TestErrorsAtTheKeyLine: an input's bad value is reported at the line of
// its key, in the right one of several tables; unknown keys get a hint.
func TestErrorsAtTheKeyLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "datakit.conf"), []byte("hostname = \"h\"\n[http_api]\n  max_valu_bytes = 1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ebpf.conf"), []byte("[[inputs.fakein]]\n  interval = \"1s\"\n\n[[inputs.fakein]]\n  # b\n  interval = \"10s\"\n  features = [\"grpc\"]\n  intervall = \"1s\"\n"), 0o644)
	_, err := Load(dir, noEnv)
	for _, want := range []string{
		`ebpf.conf:7: inputs.fakein.features: unknown feature "grpc"`,
		"ebpf.conf:8: inputs.fakein.intervall: unknown key (did you mean interval?)",
		"datakit.conf:3: http_api.max_valu_bytes: unknown key (did you mean max_value_bytes?)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
}
