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
	ignoreHost bool // ignore_global_host_tags
	echo       bool // echo=lp
	dry        bool
}

func parseWriteParams(q url.Values) (writeParams, error) {
	p := writeParams{input: q.Get("input")}
	var err error
	if p.precision, err = point.ParsePrecision(q.Get("precision")); err != nil {
		return p, err
	}
	if p.ignoreHost, err = boolParam(q, "ignore_global_host_tags"); err != nil {
		return p, err
	}
	if p.dry, err = boolParam(q, "dry"); err != nil {
		return p, err
	}
	switch e := q.Get("echo"); e {
	case "":
	case "lp":
		p.echo = true
	default:
		return p, fmt.Errorf("unknown echo %q (want lp)", e)
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
	params, err := parseWriteParams(c.Request.URL.Query())
	if err != nil {
		s.rejectWrite(c, category, http.StatusBadRequest, codeInvalidParameter, err.Error())
		return
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
	opt := point.Options{Precision: params.precision, Limits: s.cfg.Limits, Now: time.Now()}
	jsonBody := isJSON(c.ContentType())
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
		if pe.Kind == point.Limit {
			code = codePointLimit
		} else if jsonBody {
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
	if params.echo {
		var owned bool
		if echo, owned, err = s.echo(batch, body, opt, extra, cl); err != nil {
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
	}
	if !params.echo {
		c.Status(http.StatusOK)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", echo)
}

func (s *Server) rejectWrite(c *gin.Context, category string, status int, code, msg string) {
	pointsRejected.WithLabelValues(category, code).Inc()
	s.log.Debug("write rejected", "category", category, "error_code", code, "message", msg)
	fail(c, status, code, msg)
}
