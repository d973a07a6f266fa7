package api

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// access lets loopback peers in and others only on public routes. The
// peer is the TCP peer address: X-Forwarded-For and X-Real-IP are set by
// whoever sends the request and prove nothing.
func (s *Server) access(c *gin.Context) {
	if isLoopback(c.Request.RemoteAddr) || s.public[c.FullPath()] || s.public[c.Request.URL.Path] {
		return
	}
	fail(c, http.StatusForbidden, codePublicAccess,
		fmt.Sprintf("%s is not open to non-loopback clients (add it to http_api.public_apis)", c.Request.URL.Path))
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// observe records every request in the latency histogram and logs it at
// debug level.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	d := time.Since(start)
	route, method := c.FullPath(), c.Request.Method
	if route == "" {
		route, method = "unmatched", "-" // keep label values bounded
	}
	status := c.Writer.Status()
	requestDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
	s.log.Debug("http request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", status, "duration", d, "peer", c.Request.RemoteAddr)
}

// recoverPanic turns a handler panic into a logged 500 and keeps serving.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("http handler panic", "path", c.Request.URL.Path, "panic", r)
			fail(c, http.StatusInternalServerError, codeInternal, "internal error")
		}
	}()
	c.Next()
}
