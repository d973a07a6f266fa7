package influxdb

import (
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"netobs.local/agent/datakit/internal/outputs"
)

//go:embed sample.conf
var sample string

func init() {
	outputs.Add("influxdb", sample, func() outputs.Config { return DefaultConfig() })
}

// Config is `[[outputs.influxdb]]`; sample.conf documents every key.
type Config struct {
	URL             string        `toml:"url"`
	API             string        `toml:"api"`
	Database        string        `toml:"database"`
	RetentionPolicy string        `toml:"retention_policy"`
	Username        string        `toml:"username"`
	Password        string        `toml:"password"`
	Org             string        `toml:"org"`
	Bucket          string        `toml:"bucket"`
	Token           string        `toml:"token"`
	CategoryTag     string        `toml:"category_tag"`
	ExtraLabels     []string      `toml:"extra_labels"`
	Gzip            bool          `toml:"gzip"`
	Timeout         time.Duration `toml:"timeout"`
	BatchPoints     int           `toml:"batch_points"`
	BatchBytes      int           `toml:"batch_bytes"`
	RetryMin        time.Duration `toml:"retry_min"`
	RetryMax        time.Duration `toml:"retry_max"`
}

// DefaultConfig holds the defaults the TOML table is decoded over.
func DefaultConfig() *Config {
	return &Config{
		API: "v1", Database: "datakit", Gzip: true, Timeout: 10 * time.Second,
		BatchPoints: 5000, BatchBytes: 4 << 20, RetryMin: 500 * time.Millisecond, RetryMax: 30 * time.Second,
	}
}

func bad(key, format string, a ...any) error {
	return fmt.Errorf("outputs.influxdb: %s: %s", key, fmt.Sprintf(format, a...))
}

// Validate checks c without side effects (datakit check-config calls it).
func (c *Config) Validate() error {
	_, err := c.writeURL()
	return err
}

// Build validates c and returns the output.
func (c *Config) Build(env outputs.Env) (outputs.Output, error) {
	u, err := c.writeURL()
	if err != nil {
		return nil, err
	}
	return &Output{name: env.Name, cfg: *c, base: *u, client: &http.Client{Timeout: c.Timeout}}, nil
}

// writeURL validates c and returns the write endpoint with its fixed query.
func (c *Config) writeURL() (*url.URL, error) {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return nil, bad("url", "missing")
	case err != nil:
		return nil, bad("url", "%v", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, bad("url", "%q is not an http:// or https:// URL", c.URL)
	case c.Timeout <= 0:
		return nil, bad("timeout", "must be positive")
	case c.BatchPoints <= 0:
		return nil, bad("batch_points", "must be positive")
	case c.BatchBytes <= 0:
		return nil, bad("batch_bytes", "must be positive")
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return nil, bad("retry_min", "must be positive and at most retry_max")
	}
	q := url.Values{"precision": {"ns"}}
	for i, l := range c.ExtraLabels {
		if k, _, ok := strings.Cut(l, "="); !ok || k == "" {
			return nil, bad(fmt.Sprintf("extra_labels[%d]", i), "%q is not key=value", l)
		}
		q.Add("extra_label", l)
	}
	path := strings.TrimSuffix(u.Path, "/")
	switch c.API {
	case "v1":
		if c.Database == "" {
			return nil, bad("database", "missing (api v1)")
		}
		if c.RetentionPolicy != "" {
			q.Set("rp", c.RetentionPolicy)
		}
		u.Path = path + "/write"
	case "v2":
		if c.Org == "" || c.Bucket == "" {
			return nil, bad("org", "org and bucket are required with api v2")
		}
		q.Set("org", c.Org)
		u.Path = path + "/api/v2/write"
	default:
		return nil, bad("api", "%q: want \"v1\" or \"v2\"", c.API)
	}
	u.RawQuery = q.Encode()
	return u, nil
}
