package api

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	lastErrorsKept     = 128
	maxLastErrorBytes  = 64 << 10
	maxLabelInputBytes = 64
	// maxLoggedErrBytes bounds err_content in the WARN line; the whole
	// report is kept for GET /v1/lasterror.
	maxLoggedErrBytes = 1 << 10
	// maxErrorInputs bounds the input label of datakit_last_errors_total:
	// any client of the API names the input, and each new name would be
	// a series kept for the life of the process.
	maxErrorInputs = 64
	otherInputs    = "(other)"
)

// LastError is an error an input reported through POST /v1/lasterror.
type LastError struct {
	Input      string    `json:"input"`
	Source     string    `json:"source"`
	ErrContent string    `json:"err_content"`
	Time       time.Time `json:"time"`
}

// errorRing keeps the most recent LastErrors.
type errorRing struct {
	mu   sync.Mutex
	buf  []LastError
	next int // index the next error goes to once buf is full
}

func newErrorRing(n int) *errorRing { return &errorRing{buf: make([]LastError, 0, n)} }

func (r *errorRing) add(e LastError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.next] = e
	r.next = (r.next + 1) % len(r.buf)
}

// list returns the kept errors, oldest first.
func (r *errorRing) list() []LastError {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]LastError, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// inputLabels hands out at most max distinct input labels, then otherInputs.
type inputLabels struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
}

func newInputLabels(max int) *inputLabels { return &inputLabels{seen: map[string]bool{}, max: max} }

func (l *inputLabels) label(input string) string {
	if len(input) > maxLabelInputBytes {
		input = input[:maxLabelInputBytes]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.seen[input] {
		if len(l.seen) >= l.max {
			return otherInputs
		}
		l.seen[input] = true
	}
	return input
}

// LastErrors returns the most recent errors inputs reported, oldest first,
// for monitoring.
func (s *Server) LastErrors() []LastError { return s.errors.list() }

// postLastError reads its body by the write path's rules (budget, body
// timeout, 413 past the bound) and logs a bounded, rate-limited line.
func (s *Server) postLastError(c *gin.Context) {
	cl := s.budget.claim(c.Request.Context())
	defer cl.release()
	body, aerr := s.readWholeBody(c, bodyLimit{"the last-error limit", maxLastErrorBytes}, cl)
	if aerr != nil {
		fail(c, aerr.status, aerr.code, aerr.msg)
		return
	}
	defer buffers.put(body)
	var e LastError
	if err := json.Unmarshal(body, &e); err != nil {
		fail(c, http.StatusBadRequest, codeBadBody, "want a JSON object {input, source, err_content}: "+err.Error())
		return
	}
	if e.Input == "" || e.ErrContent == "" {
		fail(c, http.StatusBadRequest, codeInvalidParameter, "input and err_content are required")
		return
	}
	e.Time = time.Now()
	s.errors.add(e)
	lastErrorsTotal.WithLabelValues(s.errorInputs.label(e.Input)).Inc()
	s.errLog.warn(s.log, "input error", "input", clipLog(e.Input, maxLabelInputBytes),
		"source", clipLog(e.Source, maxLabelInputBytes), "err", clipLog(e.ErrContent, maxLoggedErrBytes))
	c.Status(http.StatusOK)
}

func (s *Server) getLastErrors(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"content": s.errors.list()})
}
