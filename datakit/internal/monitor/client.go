// Package monitor is `datakit monitor`: a terminal view of a supervisor,
// read from its HTTP API (GET /v1/view/agent and /v1/view/health), so it
// works against a remote supervisor as well (with /v1/view/ in its
// public_apis).
package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"netobs.local/agent/datakit/internal/api"
	"netobs.local/agent/datakit/internal/view"
)

// Snapshot is one reading of the supervisor.
type Snapshot struct {
	At     time.Time
	Agent  api.AgentInfo
	Health view.Health
}

// Client reads snapshots from the supervisor at Addr (host:port).
type Client struct {
	Addr string
	HTTP *http.Client
}

func (c *Client) get(path string, into any) error {
	resp, err := c.HTTP.Get("http://" + c.Addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// Read takes a snapshot: the agent's totals and the collector's health
// over the last minute.
func (c *Client) Read() (Snapshot, error) {
	s := Snapshot{At: time.Now()}
	if err := c.get("/v1/view/agent", &s.Agent); err != nil {
		return s, err
	}
	if err := c.get("/v1/view/health?since=1m", &s.Health); err != nil {
		return s, err
	}
	return s, nil
}
