package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"netobs.local/agent/datakit/internal/view/web"
)

var assets = http.FileServerFS(web.Assets())

// page serves the web view (its assets come from /assets/, all embedded).
func (s *Server) page(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", web.Index())
}

func (s *Server) asset(c *gin.Context) {
	c.Request.URL.Path = c.Param("file")
	assets.ServeHTTP(c.Writer, c.Request)
}
