package main

// The outputs and inputs of this build register themselves when imported.
import (
	_ "netobs.local/agent/datakit/internal/outputs/influxdb"
	_ "netobs.local/agent/datakit/internal/outputs/local"
	_ "netobs.local/agent/datakit/internal/outputs/stdout"
	_ "netobs.local/agent/inputs/ebpf"
)
