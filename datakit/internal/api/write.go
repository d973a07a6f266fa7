package api

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
	b, aerr := s.openBody(c)
	if aerr != nil {
		s.rejectWrite(c, category, aerr.status, aerr.code, aerr.msg)
		return
	}
	// Read it all first: the decoder is fastest in memory, and what needs
	// no change is then copied from this buffer as it is.
	buf := bytes.NewBuffer(getBuffer(int(min(max(c.Request.ContentLength, 0), s.cfg.MaxBodyBytes)) + bytes.MinRead))
	if _, err := buf.ReadFrom(b); err != nil {
		aerr := s.readError(c, err)
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
	var jsonPts []*point.Point // the decoded JSON body, for the echo
	var extra []point.Tag      // what the Submitter adds, for Batch.Encoded
	if tg, ok := s.sub.(pipeline.Tagger); ok && !params.ignoreHost && !params.dry {
		extra = tg.Tags()
	}
	if jsonBody {
		// The points' strings may point into buf: it is not recycled.
		batch.Points, err = point.DecodeJSONBytes(buf.Bytes(), opt)
		batch.Count = len(batch.Points)
		jsonPts = batch.Points
	} else {
		defer putBuffer(buf.Bytes())
		batch.Encoded, batch.Count, err = point.TranscodeLP(getBuffer(buf.Len()+buf.Len()/8+64), buf.Bytes(), opt, extra)
		defer putBuffer(batch.Encoded)
	}
	switch {
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
	case buf.Len() == 0:
		s.rejectWrite(c, category, http.StatusBadRequest, codeEmptyBody, "empty body")
		return
	case batch.Count == 0:
		s.rejectWrite(c, category, http.StatusBadRequest, codeNoPoints, "the body holds no points")
		return
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
	if params.echo == "" {
		c.Status(http.StatusOK)
		return
	}
	s.echo(c, params.echo, batch, jsonPts, buf.Bytes(), opt, len(extra) > 0)
}

// echo answers with the accepted points as they were sent (after
// DataKit's fixes), without the tags the pipeline adds.
func (s *Server) echo(c *gin.Context, format string, batch *pipeline.Batch, pts []*point.Point, body []byte, opt point.Options, tagged bool) {
	opt.OnFix = nil // counted once already
	if pts == nil && format == "json" {
		pts, _ = point.DecodeLPBytes(body, opt) // it passed once
	}
	switch {
	case format == "json":
		c.Data(http.StatusOK, "application/json", point.AppendJSON(nil, pts))
	case pts != nil:
		c.Data(http.StatusOK, "text/plain; charset=utf-8", point.AppendLP(make([]byte, 0, 256*len(pts)), pts...))
	case tagged:
		out, _, _ := point.TranscodeLP(nil, body, opt, nil)
		c.Data(http.StatusOK, "text/plain; charset=utf-8", out)
	default:
		c.Data(http.StatusOK, "text/plain; charset=utf-8", batch.Encoded)
	}
}

func (s *Server) rejectWrite(c *gin.Context, category string, status int, code, msg string) {
	pointsRejected.WithLabelValues(category, code).Inc()
	s.log.Debug("write rejected", "category", category, "error_code", code, "message", msg)
	if status == http.StatusRequestEntityTooLarge {
		// The rest of the body stays unread: do not reuse the connection.
		c.Header("Connection", "close")
	}
	fail(c, status, code, msg)
}

// buffers recycles the write path's request-sized buffers (the body and
// the encoded batch): fresh ones cost zeroing, cache misses and GC on
// every request. Submit does not keep Batch.Encoded.
var buffers sync.Pool // of *[]byte

func getBuffer(size int) []byte {
	if bp, ok := buffers.Get().(*[]byte); ok && cap(*bp) >= size {
		return (*bp)[:0]
	}
	return make([]byte, 0, size)
}

func putBuffer(b []byte) {
	if cap(b) <= 8<<20 { // do not pin huge ones
		b = b[:0]
		buffers.Put(&b)
	}
}
