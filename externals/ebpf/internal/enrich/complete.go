package enrich

import (
	"netobs.local/agent/externals/ebpf/internal/deliver"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Complete returns a sink that gives every point of a declared
// measurement the tags it lacks, as N/A, before handing it to next: the
// one place every plugin's points pass, so no declared tag is ever
// missing, whatever a plugin knew.
func Complete(next deliver.Sink) deliver.Sink { return completer{next} }

type completer struct{ next deliver.Sink }

func (c completer) Write(category, input string, pts []lp.Point) {
	for i := range pts {
		if m, ok := measure.Lookup(pts[i].Name); ok {
			pts[i].Tags = m.Complete(pts[i].Tags, nil)
		}
	}
	c.next.Write(category, input, pts)
}
