package measure

import (
	"testing"

	"netobs.local/agent/externals/ebpf/internal/lp"
)

func TestCompleteFillsEveryDeclaredTagOnce(t *testing.T) {
	tags := Netflow.Complete([]lp.Tag{{Key: "pid", Value: "7"}}, []lp.Tag{{Key: "host", Value: "h"}})
	seen := map[string]string{}
	for _, tg := range tags {
		if _, dup := seen[tg.Key]; dup {
			t.Fatalf("tag %s twice", tg.Key)
		}
		seen[tg.Key] = tg.Value
	}
	for _, d := range Netflow.Tags {
		if _, ok := seen[d.Name]; !ok {
			t.Errorf("declared tag %s missing", d.Name)
		}
	}
	if seen["pid"] != "7" || seen["host"] != "h" || seen["dst_nat_ip"] != "N/A" {
		t.Errorf("pid %q host %q dst_nat_ip %q", seen["pid"], seen["host"], seen["dst_nat_ip"])
	}
}

func TestFlowCountsFields(t *testing.T) {
	c := FlowCounts{BytesRead: 10, BytesWritten: 20, Retransmits: 1, Established: 2, Closed: 2, RTTSum: 300, RTTVarSum: 30, RTTN: 3}
	get := func(fs []lp.Field) map[string]int64 {
		m := map[string]int64{}
		for _, f := range fs {
			m[f.Key] = f.Value.IntV()
		}
		return m
	}
	tcp := get(c.Fields(true, true))
	if len(tcp) != 7 || tcp["rtt"] != 100 || tcp["rtt_var"] != 10 || tcp["tcp_closed"] != 2 || tcp["bytes_written"] != 20 {
		t.Errorf("tcp fields %v", tcp)
	}
	if noVar := get(c.Fields(true, false)); len(noVar) != 6 || noVar["rtt"] != 100 {
		t.Errorf("fields without rtt_var %v", noVar)
	}
	if udp := get(c.Fields(false, true)); len(udp) != 2 || udp["bytes_read"] != 10 {
		t.Errorf("udp fields %v", udp)
	}
	c.RTTN = 0
	if _, ok := get(c.Fields(true, true))["rtt"]; ok {
		t.Error("rtt without a sample")
	}
}
