package api

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The API's own series; the pipeline and outputs register theirs in the
// same default registry, so GET /metrics shows the whole supervisor.
var (
	pointsReceived = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_http_points_received_total",
		Help: "Points accepted by POST /v1/write/:category and handed to the pipeline.",
	}, []string{"category"})
	pointsRejected = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_http_write_rejected_total",
		Help: "Write requests rejected, by category and error code.",
	}, []string{"category", "error_code"})
	pointsFixed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_http_points_fixed_total",
		Help: "Fixes DataKit's point checks made to accepted points, by category and DataKit's warning name.",
	}, []string{"category", "warning"})
	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "datakit_http_request_duration_seconds",
		Help:    "HTTP API request latency; _count is the number of requests.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms .. 33 s
	}, []string{"route", "method", "status"})
	lastErrorsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_last_errors_total",
		Help: "Errors reported by inputs through POST /v1/lasterror.",
	}, []string{"input"})
)

var metricsHandler = promhttp.Handler()

func (s *Server) metrics(c *gin.Context) { metricsHandler.ServeHTTP(c.Writer, c.Request) }
