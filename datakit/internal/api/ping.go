package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type pingContent struct {
	Version string `json:"version"`
	Uptime  string `json:"uptime"`
	Host    string `json:"host"`
	Commit  string `json:"commit"`
}

// ping answers {"content":{"version","uptime","host","commit"}} like DataKit.
func (s *Server) ping(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"content": pingContent{
		Version: s.cfg.Version,
		Uptime:  time.Since(s.started).Round(time.Millisecond).String(),
		Host:    s.cfg.Hostname,
		Commit:  s.cfg.Commit,
	}})
}
