package conntrack

import (
	ct "github.com/ti-mo/conntrack"

	"netobs.local/agent/externals/ebpf/features"
)

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports whether conntrack's netlink interface answers here.
func Features() []Check {
	st := features.Status{On: true}
	if c, err := ct.Dial(nil); err != nil {
		st = features.Status{Reason: "netlink conntrack: " + err.Error()}
	} else {
		if _, err := c.StatsGlobal(); err != nil {
			st = features.Status{Reason: "conntrack does not answer (is nf_conntrack loaded?): " + err.Error()}
		}
		c.Close()
	}
	return []Check{{"netlink conntrack events (NEW, DESTROY)", st}}
}
