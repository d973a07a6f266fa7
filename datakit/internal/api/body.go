package api

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// errInflatedTooLarge: the gzip body inflates past max_body_bytes. It is
// returned as soon as the bound is crossed, so a gzip bomb costs at most
// max_body_bytes of inflating.
var errInflatedTooLarge = errors.New("decompressed body too large")

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

// openBody returns the write request's body, bounded on the wire by
// max_body_bytes and, when gzip'ed, bounded again after inflating; or the
// answer to give instead.
func (s *Server) openBody(c *gin.Context) (io.Reader, *apiError) {
	max := s.cfg.MaxBodyBytes
	if c.Request.ContentLength > max {
		return nil, &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("body is %d bytes, more than max_body_bytes (%d)", c.Request.ContentLength, max)}
	}
	r := http.MaxBytesReader(c.Writer, c.Request.Body, max)
	switch enc := contentEncoding(c); enc {
	case "", "identity":
		return r, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if errors.Is(err, io.EOF) {
			return strings.NewReader(""), nil // empty body, reported as such
		}
		if err != nil {
			return nil, s.readError(c, err)
		}
		return &capped{r: zr, left: max}, nil
	default:
		return nil, &apiError{http.StatusUnsupportedMediaType, codeInvalidEncoding,
			fmt.Sprintf("unsupported Content-Encoding %q (gzip or none)", enc)}
	}
}

// readError is the answer to an error from reading the body.
func (s *Server) readError(c *gin.Context, err error) *apiError {
	var mbe *http.MaxBytesError
	var cie flate.CorruptInputError
	switch {
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("body is more than max_body_bytes (%d)", mbe.Limit)}
	case errors.Is(err, errInflatedTooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("decompressed body is more than max_body_bytes (%d)", s.cfg.MaxBodyBytes)}
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &cie),
		errors.Is(err, io.ErrUnexpectedEOF) && strings.Contains(contentEncoding(c), "gzip"):
		return &apiError{http.StatusBadRequest, codeInvalidEncoding, "invalid gzip body: " + err.Error()}
	}
	return &apiError{http.StatusBadRequest, codeBadBody, "reading body: " + err.Error()}
}

func contentEncoding(c *gin.Context) string {
	return strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding")))
}
