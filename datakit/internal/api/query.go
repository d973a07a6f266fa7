package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

func parseQuery(q url.Values) (pipeline.Query, *apiError) {
	out := pipeline.Query{Category: q.Get("category"), Measurement: q.Get("measurement")}
	bad := func(format string, a ...any) *apiError {
		return &apiError{http.StatusBadRequest, codeInvalidParameter, fmt.Sprintf(format, a...)}
	}
	if out.Category != "" && !point.ValidCategory(out.Category) {
		return out, &apiError{http.StatusBadRequest, codeInvalidCategory, fmt.Sprintf("unknown category %q; valid categories: %s", out.Category, strings.Join(point.Categories, ", "))}
	}
	if s := q.Get("since"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return out, bad("since=%q is not a duration like 30s", s)
		}
		out.Since = d
	}
	for _, t := range q["tag"] {
		k, v, ok := strings.Cut(t, ":")
		if !ok || k == "" {
			return out, bad("tag=%q is not key:value", t)
		}
		out.Tags = append(out.Tags, point.Tag{Key: k, Value: v})
	}
	return out, nil
}

// queryPoints answers recent points from the local store as line protocol.
func (s *Server) queryPoints(c *gin.Context) {
	if s.query == nil {
		fail(c, http.StatusNotImplemented, codeNotImplemented, "the local output is disabled; nothing to query")
		return
	}
	q, aerr := parseQuery(c.Request.URL.Query())
	if aerr != nil {
		fail(c, aerr.status, aerr.code, aerr.msg)
		return
	}
	out := point.AppendLP(nil, s.query.Query(q)...)
	c.Data(http.StatusOK, "text/plain; charset=utf-8", out)
}
