package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"netobs.local/agent/datakit/internal/view"
)

// parseViewQuery reads the parameters every /v1/view/ route takes.
func parseViewQuery(q url.Values) (view.Query, *apiError) {
	out := view.Query{Filter: view.Filter{Process: q.Get("process"), Namespace: q.Get("namespace"),
		Pod: q.Get("pod"), Direction: q.Get("direction")}}
	bad := func(format string, a ...any) *apiError {
		return &apiError{http.StatusBadRequest, codeInvalidParameter, fmt.Sprintf(format, a...)}
	}
	if s := q.Get("since"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > view.Retention {
			return out, bad("since=%q: want a duration like 15m, at most %s", s, view.Retention)
		}
		out.Since = d
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > view.MaxLimit {
			return out, bad("limit=%q: want 1 to %d rows", s, view.MaxLimit)
		}
		out.Limit = n
	}
	switch out.Direction {
	case "", "incoming", "outgoing":
	default:
		return out, bad("direction=%q: want incoming or outgoing", out.Direction)
	}
	return out, nil
}

// viewRoute answers a /v1/view/ route from the view's aggregates.
func (s *Server) viewRoute(answer func(*view.Store, view.Query) any) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.cfg.View == nil {
			fail(c, http.StatusNotImplemented, codeNotImplemented, "the local output is disabled; the view has no data")
			return
		}
		q, aerr := parseViewQuery(c.Request.URL.Query())
		if aerr != nil {
			fail(c, aerr.status, aerr.code, aerr.msg)
			return
		}
		c.JSON(http.StatusOK, answer(s.cfg.View, q))
	}
}

func viewSummary(v *view.Store, q view.Query) any { return v.Summary(q) }
func viewFlows(v *view.Store, q view.Query) any   { return v.Flows(q) }
func viewHTTP(v *view.Store, q view.Query) any    { return v.HTTP(q) }
func viewDNS(v *view.Store, q view.Query) any     { return v.DNS(q) }
func viewBash(v *view.Store, q view.Query) any    { return gin.H{"commands": v.Bash(q)} }
func viewNetlog(v *view.Store, q view.Query) any  { return gin.H{"records": v.Netlog(q)} }

// viewHealth adds what the API knows to the collector's self-metrics: the
// supervisor's restarts of each child and the inputs' last errors.
func (s *Server) viewHealth(v *view.Store, q view.Query) any {
	errs := s.errors.list()
	if len(errs) > 20 {
		errs = errs[len(errs)-20:]
	}
	type restarts struct {
		Input    string `json:"input"`
		Restarts int64  `json:"restarts"`
	}
	rs := []restarts{}
	for _, m := range gatherSeries("datakit_child_restarts_total") {
		rs = append(rs, restarts{m.labels["input"], int64(m.value)})
	}
	return struct {
		view.Health
		Restarts   []restarts  `json:"restarts"`
		LastErrors []LastError `json:"last_errors"`
	}{v.Health(q), rs, errs}
}
