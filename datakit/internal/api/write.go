package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// writeParams are the query parameters of POST /v1/write/:category.
type writeParams struct {
	input      string
	precision  point.Precision
	ignoreHost bool   // ignore_global_host_tags (or DataKit's older ignore_global_tags)
	echo       string // "", "lp" or "json": answer with the accepted points
	dry        bool
	strict     bool
}

// paramError is a bad query parameter and the code it is answered with.
type paramError struct{ code, msg string }

func parseWriteParams(q url.Values) (writeParams, *paramError) {
	p := writeParams{input: q.Get("input")}
	var err error
	if p.precision, err = point.ParsePrecision(q.Get("precision")); err != nil {
		return p, &paramError{codeInvalidPrecision, err.Error()}
	}
	flags := []struct {
		name string
		to   *bool
	}{
		{"ignore_global_host_tags", &p.ignoreHost}, {"ignore_global_tags", &p.ignoreHost},
		{"dry", &p.dry}, {"strict", &p.strict},
	}
	for _, f := range flags {
		on, err := boolParam(q, f.name)
		if err != nil {
			return p, &paramError{codeInvalidParameter, err.Error()}
		}
		*f.to = *f.to || on
	}
	switch e := q.Get("echo"); e {
	case "", "lp", "json":
		p.echo = e
	default:
		return p, &paramError{codeInvalidParameter, fmt.Sprintf("unknown echo %q (want lp or json)", e)}
	}
	// DataKit's deprecated spellings of echo=lp and echo=json.
	for name, echo := range map[string]string{"echo_line_proto": "lp", "echo_json": "json"} {
		on, err := boolParam(q, name)
		if err != nil {
			return p, &paramError{codeInvalidParameter, err.Error()}
		}
		if on && p.echo == "" {
			p.echo = echo
		}
	}
	return p, nil
}

// boolParam reads a flag: absent is false, present without value is true.
func boolParam(q url.Values, name string) (bool, error) {
	v, ok := q[name]
	if !ok {
		return false, nil
	}
	if len(v) == 0 || v[0] == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean", name, v[0])
	}
	return b, nil
}

func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

// write decodes the whole body, then submits all of it or nothing.
func (s *Server) write(c *gin.Context) {
	category := c.Param("category")
	if !point.ValidCategory(category) {
		s.rejectWrite(c, "invalid", http.StatusBadRequest, codeInvalidCategory,
			fmt.Sprintf("unknown category %q; valid categories: %s", category, strings.Join(point.Categories, ", ")))
		return
	}
	params, perr := parseWriteParams(c.Request.URL.Query())
	if perr != nil {
		s.rejectWrite(c, category, http.StatusBadRequest, perr.code, perr.msg)
		return
	}
	if enc := c.Query("encoding"); enc != "" {
		// DataKit's ?encoding= names the body's compression, and wins
		// over the header.
		c.Request.Header.Set("Content-Encoding", enc)
	}
	// Everything this request allocates is claimed first, and given back
	// when it is answered.
	cl := s.budget.claim(c.Request.Context())
	defer cl.release()
	// Read it all first: the decoder is fastest in memory, and what needs
	// no change is then copied from this buffer as it is.
	body, aerr := s.readWholeBody(c, bodyLimit{"max_body_bytes", s.cfg.MaxBodyBytes}, cl)
	if aerr != nil {
		s.rejectWrite(c, category, aerr.status, aerr.code, aerr.msg)
		return
	}
	// One Now for every pass over the body, so that points without a time
	// get the same one in the echo as in the pipeline.
	opt := point.Options{Precision: params.precision, Limits: s.cfg.Limits, Now: time.Now(),
		Category: category, Strict: params.strict, OnFix: func(w string) { pointsFixed.WithLabelValues(category, w).Inc() }}
	jsonBody := isJSON(c.ContentType())
	var err error
	batch := &pipeline.Batch{Category: category, Input: params.input, IgnoreGlobalHostTags: params.ignoreHost}
	var extra []point.Tag // what the Submitter adds, for Batch.Encoded
	if tg, ok := s.sub.(pipeline.Tagger); ok && !params.ignoreHost && !params.dry {
		extra = tg.Tags()
	}
	if jsonBody {
		// The points' strings may point into body: it is not recycled.
		batch.Points, err = s.decodeJSON(body, opt, extra, cl)
		batch.Count = len(batch.Points)
	} else {
		defer buffers.put(body)
		batch.Encoded, batch.Count, err = s.transcode(body, opt, extra, cl)
		defer buffers.put(batch.Encoded)
	}
	switch {
	case errors.Is(err, errNoRoom), errors.Is(err, errNeverFits):
		aerr := s.readError(c, err, bodyLimit{})
		s.rejectWrite(c, category, aerr.status, aerr.code, aerr.msg)
		return
	case err != nil:
		var pe *point.Error
		errors.As(err, &pe)
		code := codeInvalidLinePoint
		switch {
		case pe.Kind == point.Limit:
			code = codePointLimit
		case pe.Kind == point.Warning:
			code = codeStrictPoint
		case jsonBody:
			code = codeInvalidJSONPoint
		}
		s.rejectWrite(c, category, http.StatusBadRequest, code, pe.Error())
		return
	case len(body) == 0:
		s.rejectWrite(c, category, http.StatusBadRequest, codeEmptyBody, "empty body")
		return
	case batch.Count == 0:
		s.rejectWrite(c, category, http.StatusBadRequest, codeNoPoints, "the body holds no points")
		return
	}

	// The echo shows the accepted points as they were sent, without the
	// tags the pipeline adds. It is made before the batch is submitted, so
	// that having no room for it keeps nothing.
	var echo []byte
	var echoType string
	if params.echo != "" {
		var owned bool
		if echo, echoType, owned, err = s.echo(params.echo, batch, body, opt, extra, cl); err != nil {
			aerr := s.readError(c, err, bodyLimit{})
			s.rejectWrite(c, category, aerr.status, aerr.code, aerr.msg)
			return
		}
		if owned {
			defer buffers.put(echo)
		}
	}
	if !params.dry {
		err := s.sub.Submit(c.Request.Context(), batch)
		if errors.Is(err, pipeline.ErrBusy) {
			c.Header("Retry-After", "1")
			s.rejectWrite(c, category, http.StatusTooManyRequests, codeBusy, "the pipeline is full; retry later")
			return
		}
		if err != nil {
			s.log.Warn("submitting batch", "category", category, "input", params.input, "err", err)
			s.rejectWrite(c, category, http.StatusServiceUnavailable, codeUnavailable, "pipeline: "+err.Error())
			return
		}
		pointsReceived.WithLabelValues(category).Add(float64(batch.Count))
		s.sources.add(params.input, batch.Count)
	}
	if params.echo == "" {
		c.Status(http.StatusOK)
		return
	}
	c.Data(http.StatusOK, echoType, echo)
}

func (s *Server) rejectWrite(c *gin.Context, category string, status int, code, msg string) {
	pointsRejected.WithLabelValues(category, code).Inc()
	s.log.Debug("write rejected", "category", category, "error_code", code, "message", msg)
	fail(c, status, code, msg)
}
