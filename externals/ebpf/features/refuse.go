package features

import (
	"os"
	"slices"
	"strings"
)

// RefuseEnv names hook kinds (comma-separated, as in "iter,tp_btf") that
// the probes report as refused, as a kernel that refuses them would. Hosts
// of one kind differ in what they allow (some load BPF iterators, some
// answer EPERM), so a test forces the refusal to run a fallback on a
// machine that would not need it. Nothing else reads it.
const RefuseEnv = "DATAKIT_EBPF_REFUSE_HOOKS"

var refused = parseRefused(os.Getenv(RefuseEnv))

func parseRefused(s string) []HookKind {
	var out []HookKind
	for k := range strings.SplitSeq(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, HookKind(k))
		}
	}
	return out
}

// refusedByEnv is the probe's answer for a kind named in RefuseEnv.
func refusedByEnv(k HookKind) (Status, bool) {
	if slices.Contains(refused, k) {
		return off(string(k) + " hooks refused by " + RefuseEnv), true
	}
	return Status{}, false
}
