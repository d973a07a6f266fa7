package api

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// errInflatedTooLarge: the gzip body inflates past its bound. It is
// returned as soon as the bound is crossed, so a gzip bomb costs at most
// that much inflating.
var errInflatedTooLarge = errors.New("decompressed body too large")

// bodyLimit is a route's bound on its body, and the name the answers give it.
type bodyLimit struct {
	name string
	max  int64
}

// capped fails with errInflatedTooLarge instead of returning byte max+1.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Probe for one more byte: exactly max bytes is allowed.
		var one [1]byte
		if n, err := c.r.Read(one[:]); n > 0 {
			return 0, errInflatedTooLarge
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// openBody returns the request's body as it comes off the wire, bounded
// by lim, and its encoding; or the answer to give instead.
func (s *Server) openBody(c *gin.Context, lim bodyLimit) (io.Reader, string, *apiError) {
	if c.Request.ContentLength > lim.max {
		c.Header("Connection", "close")
		return nil, "", &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("body is %d bytes, more than %s (%d)", c.Request.ContentLength, lim.name, lim.max)}
	}
	switch enc := contentEncoding(c); enc {
	case "", "identity", "gzip", "x-gzip":
		return http.MaxBytesReader(c.Writer, c.Request.Body, lim.max), enc, nil
	default:
		return nil, "", &apiError{http.StatusUnsupportedMediaType, codeInvalidEncoding,
			fmt.Sprintf("unsupported Content-Encoding %q (gzip or none)", enc)}
	}
}

// inflate returns the gzip body wire, bounded again by lim after inflating.
func inflate(wire []byte, lim bodyLimit) (io.Reader, error) {
	zr, err := gzip.NewReader(bytes.NewReader(wire))
	if errors.Is(err, io.EOF) {
		return strings.NewReader(""), nil // empty body, reported as such
	}
	if err != nil {
		return nil, err
	}
	return &capped{r: zr, left: lim.max}, nil
}

// readBody reads r into pooled chunks as its bytes arrive, claiming each
// chunk from the budget before taking it, and returns the body in one
// buffer, which cl is charged for; the caller gives it back with
// buffers.put. Nothing is reserved on the word of Content-Length: a body
// that declares 32 MiB and sends one byte holds one chunk.
func readBody(r io.Reader, cl *claim) ([]byte, error) {
	var chunks [][]byte
	defer func() {
		for _, ch := range chunks {
			buffers.put(ch)
			cl.shrink(chunkSize)
		}
	}()
	total := 0
	for {
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == chunkSize {
			// Wait for a byte before claiming a chunk for it: an idle body,
			// or one that ends on a chunk boundary, needs no new chunk.
			var one [1]byte
			n, err := r.Read(one[:])
			if n == 0 {
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, err
				}
				continue
			}
			if err := cl.grow(chunkSize); err != nil {
				return nil, err
			}
			chunks = append(chunks, append(buffers.get(chunkSize), one[0]))
			total++
		}
		last := &chunks[len(chunks)-1]
		n, err := r.Read((*last)[len(*last):chunkSize])
		*last = (*last)[:len(*last)+n]
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	switch len(chunks) {
	case 0:
		return nil, nil
	case 1:
		b := chunks[0]
		chunks = nil // cl keeps the charge; the caller puts b back
		return b, nil
	}
	// The decoders want the body in one piece.
	if err := cl.grow(capFor(total)); err != nil {
		return nil, err
	}
	b := buffers.get(total)
	for _, ch := range chunks {
		b = append(b, ch...)
	}
	return b, nil
}

// readWholeBody reads the request's body, at most max bytes on the wire
// and again inflated, into a buffer cl is charged for; or gives the answer
// to send instead. body_timeout bounds the arrival of the wire bytes only:
// a gzip body is read whole first and inflated from memory after, and the
// deadline moves on by the time spent waiting for room in the budget, so
// this host's own slowness is never charged to the sender.
func (s *Server) readWholeBody(c *gin.Context, lim bodyLimit, cl *claim) ([]byte, *apiError) {
	r, enc, aerr := s.openBody(c, lim)
	if aerr != nil {
		return nil, aerr
	}
	deadline := time.Now().Add(s.cfg.BodyTimeout)
	s.setBodyDeadline(c, deadline)
	cl.waited = func(d time.Duration) { // no read is in flight while grow waits
		deadline = deadline.Add(d)
		s.setBodyDeadline(c, deadline)
	}
	wire, err := readBody(r, cl)
	cl.waited = nil
	s.setBodyDeadline(c, time.Time{})
	if err != nil {
		// The rest of the body stays unread: do not reuse the connection.
		c.Header("Connection", "close")
		return nil, s.readError(c, err, lim)
	}
	if enc != "gzip" && enc != "x-gzip" {
		return wire, nil
	}
	defer func() {
		cl.shrink(cap(wire))
		buffers.put(wire)
	}()
	zr, err := inflate(wire, lim)
	if err == nil {
		var b []byte
		if b, err = readBody(zr, cl); err == nil {
			return b, nil
		}
	}
	return nil, s.readError(c, err, lim)
}

// setBodyDeadline bounds how long the request body may take to arrive, so
// a slow (or stalled) sender cannot hold a connection and its chunks.
// After the body is read the deadline is lifted: net/http would otherwise
// cancel a request still being processed when it passes.
func (s *Server) setBodyDeadline(c *gin.Context, d time.Time) {
	// Not supported by test recorders; a real connection supports it.
	_ = http.NewResponseController(c.Writer).SetReadDeadline(d)
}

// readError is the answer to an error from reading the body (bounded by
// lim) or from claiming room for it.
func (s *Server) readError(c *gin.Context, err error, lim bodyLimit) *apiError {
	var mbe *http.MaxBytesError
	var cie flate.CorruptInputError
	switch {
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("body is more than %s (%d)", lim.name, mbe.Limit)}
	case errors.Is(err, errInflatedTooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("decompressed body is more than %s (%d)", lim.name, lim.max)}
	case errors.Is(err, errNeverFits):
		return &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("decoding this body needs more than max_inflight_bytes (%d)", s.cfg.MaxInflightBytes)}
	case errors.Is(err, errNoRoom):
		c.Header("Retry-After", "1")
		return &apiError{http.StatusTooManyRequests, codeBusy,
			fmt.Sprintf("requests in flight fill max_inflight_bytes (%d); retry later", s.cfg.MaxInflightBytes)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.slowLog.warn(s.log, "request body too slow: cut off", "path", c.Request.URL.Path,
			"peer", c.Request.RemoteAddr, "body_timeout", s.cfg.BodyTimeout)
		return &apiError{http.StatusRequestTimeout, codeBodyTimeout,
			fmt.Sprintf("the body did not arrive within body_timeout (%v)", s.cfg.BodyTimeout)}
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &cie),
		errors.Is(err, io.ErrUnexpectedEOF) && strings.Contains(contentEncoding(c), "gzip"):
		return &apiError{http.StatusBadRequest, codeInvalidEncoding, "invalid gzip body: " + err.Error()}
	}
	return &apiError{http.StatusBadRequest, codeBadBody, "reading body: " + err.Error()}
}

func contentEncoding(c *gin.Context) string {
	return strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding")))
}
