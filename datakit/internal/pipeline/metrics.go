package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The pipeline's Prometheus metrics, on the default registry (served by /metrics).
var (
	pointsSpooled = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_points_spooled_total",
		Help: "Points appended to an output's disk queue.",
	}, []string{"output", "category"})
	bytesSpooled = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_bytes_spooled_total",
		Help: "Line-protocol bytes appended to an output's disk queue.",
	}, []string{"output", "category"})
	pointsWritten = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_points_written_total",
		Help: "Points delivered by an output.",
	}, []string{"output", "category"})
	bytesWritten = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_bytes_written_total",
		Help: "Line-protocol bytes delivered by an output.",
	}, []string{"output", "category"})
	pointsRetried = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_points_retried_total",
		Help: "Points in failed deliveries that are retried.",
	}, []string{"output", "category"})
	pointsDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_points_dropped_total",
		Help: "Points an output lost: reason spool_full (oldest thrown away past the spool size bound) or rejected (permanent error from the destination).",
	}, []string{"output", "category", "reason"})
	spoolCorrupt = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_output_spool_corrupt_bytes_total",
		Help: "Bytes of torn or corrupt queue data cut off when the spool was opened.",
	}, []string{"output"})
	queueBytes = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "datakit_output_queue_bytes",
		Help: "Bytes waiting in an output's disk queue.",
	}, []string{"output"})
	queueBatches = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "datakit_output_queue_batches",
		Help: "Batches waiting in an output's disk queue.",
	}, []string{"output"})
	writeSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "datakit_output_write_seconds",
		Help:    "Duration of one write to an output, successful or not.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	}, []string{"output"})
	deliveryLag = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "datakit_output_delivery_lag_seconds",
		Help:    "Time from Submit to delivery by the output (includes time spooled while it was down).",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
	}, []string{"output"})
	submitsBusy = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "datakit_pipeline_busy_total",
		Help: "Batches refused with ErrBusy (answered 429).",
	}, []string{"category"})
)
