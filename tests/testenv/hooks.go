package testenv

import (
	"testing"

	"netobs.local/agent/externals/ebpf/features"
)

// RequireHook skips the test, with the collector's own probe's reason,
// unless this kernel lets every hook load. Hosts of one kind differ (some
// refuse BPF iterators or trampolines with EPERM), and the collector falls
// back or degrades there: a test of what only that hook gives must skip
// there, not fail, and must not guess from the kernel's version.
// DATAKIT_EBPF_REFUSE_HOOKS forces the skip (features.RefuseEnv).
func RequireHook(t testing.TB, hooks ...features.Hook) {
	t.Helper()
	for _, h := range hooks {
		if st := h.Probe(); !st.On {
			t.Skipf("skipped: the collector's probe says %s does not load here: %s", h, st.Reason)
		}
	}
}
