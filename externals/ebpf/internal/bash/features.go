package bash

import (
	"debug/elf"
	"fmt"
	"strings"

	"netobs.local/agent/externals/ebpf/features"
)

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports what ebpf-bash depends on: uprobes, and bash binaries
// with a readline symbol.
func Features(procRoot, hostRoot string) []Check {
	uprobe := features.Hook{Kind: features.KindUretprobe, Target: "readline"}.Probe()
	var with, without []string
	for _, path := range findBinaries(procRoot, hostRoot) {
		if hasReadline(path) {
			with = append(with, path)
		} else {
			without = append(without, path)
		}
	}
	bins := features.Status{On: len(with) > 0, Reason: fmt.Sprintf("probed: %s", strings.Join(with, ", "))}
	if len(with) == 0 {
		bins.Reason = fmt.Sprintf("no bash binary with a readline symbol found (without: %v)", without)
	}
	return []Check{{"uprobes", uprobe}, {"bash binaries with readline", bins}}
}

func hasReadline(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, get := range []func() ([]elf.Symbol, error){f.DynamicSymbols, f.Symbols} {
		syms, _ := get()
		for _, s := range syms {
			if s.Name == "readline" && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
				return true
			}
		}
	}
	return false
}
