package monitor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

var (
	title   = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("24")).Padding(0, 1)
	heading = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("39")).MarginTop(1)
	dim     = lipgloss.NewStyle().Foreground(lipgloss.Color("245"))
	bad     = lipgloss.NewStyle().Foreground(lipgloss.Color("203"))
)

// rate is the growth per second of a total between two snapshots.
func rate(prev, cur *Snapshot, now, before int64) float64 {
	if prev == nil {
		return 0
	}
	secs := cur.At.Sub(prev.At).Seconds()
	if secs <= 0 || now < before {
		return 0
	}
	return float64(now-before) / secs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Render draws cur; rates are against prev (nil: the first reading).
func Render(addr string, prev, cur *Snapshot, err error) string {
	var b strings.Builder
	a := &cur.Agent
	fmt.Fprintf(&b, "%s  %s\n", title.Render("datakit monitor"),
		dim.Render(fmt.Sprintf("%s · host %s · version %s · up %.0fs · %s", addr, a.Host, a.Version, a.UptimeSeconds, cur.At.Format("15:04:05"))))
	if err != nil {
		b.WriteString(bad.Render("error: "+err.Error()) + "\n")
	}

	// Inputs: each configured input, then the points each sender (the
	// ?input= of its writes: plugin/measurement) delivered, with its rate.
	b.WriteString(heading.Render("Inputs") + "\n")
	fmt.Fprintf(&b, "  %-24s %-34s %8s\n", "INPUT", "SOURCE", "RESTARTS")
	for _, in := range a.Inputs {
		fmt.Fprintf(&b, "  %-24s %-34s %8d\n", in.Name, in.Source, in.Restarts)
	}
	fmt.Fprintf(&b, "  %-40s %12s %12s\n", "SENDER (?input=)", "POINTS", "POINTS/S")
	var before map[string]int64
	if prev != nil {
		before = prev.Agent.Sources
	}
	for _, k := range sortedKeys(a.Sources) {
		fmt.Fprintf(&b, "  %-40s %12d %12.1f\n", k, a.Sources[k], rate(prev, cur, a.Sources[k], before[k]))
	}

	b.WriteString(heading.Render("Points per category") + "\n")
	fmt.Fprintf(&b, "  %-16s %12s %12s\n", "CATEGORY", "POINTS", "POINTS/S")
	before = nil
	if prev != nil {
		before = prev.Agent.Categories
	}
	for _, k := range sortedKeys(a.Categories) {
		fmt.Fprintf(&b, "  %-16s %12d %12.1f\n", k, a.Categories[k], rate(prev, cur, a.Categories[k], before[k]))
	}

	b.WriteString(heading.Render("Outputs") + "\n")
	fmt.Fprintf(&b, "  %-20s %14s %14s %14s %10s\n", "OUTPUT", "QUEUE BYTES", "QUEUE BATCHES", "WRITTEN", "DROPPED")
	for _, o := range a.Outputs {
		fmt.Fprintf(&b, "  %-20s %14d %14d %14d %10d\n", o.Name, o.QueueBytes, o.QueueBatches, o.PointsWritten, o.PointsDropped)
	}

	b.WriteString(heading.Render("Collector health (last minute, datakit_ebpf)") + "\n")
	fmt.Fprintf(&b, "  %-14s %10s %10s %10s %10s\n", "PLUGIN", "EVENTS", "POINTS", "DROPS", "SEND ERR")
	for _, p := range cur.Health.Plugins {
		c := p.Counters
		drops := c["decode_errors"] + c["kernel_drops"] + c["map_full_drops"] + c["queue_drops"] + c["table_drops"] + c["send_drops"]
		line := fmt.Sprintf("  %-14s %10d %10d %10d %10d", p.Plugin, c["events"], c["points"], drops, c["send_errors"])
		if drops > 0 {
			line = bad.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if len(cur.Health.Plugins) == 0 {
		b.WriteString(dim.Render("  no datakit_ebpf points in the last minute") + "\n")
	}

	b.WriteString(heading.Render("Last errors") + "\n")
	if len(a.LastErrors) == 0 {
		b.WriteString(dim.Render("  none") + "\n")
	}
	for _, e := range a.LastErrors {
		msg := e.ErrContent
		if len(msg) > 100 {
			msg = msg[:100] + "…"
		}
		fmt.Fprintf(&b, "  %s %s/%s: %s\n", e.Time.Format("15:04:05"), e.Input, e.Source, strings.ReplaceAll(msg, "\n", " "))
	}
	b.WriteString("\n" + dim.Render("q: quit") + "\n")
	return b.String()
}
