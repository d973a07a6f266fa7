package proccache

import (
	"reflect"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/bpfcheck"
)

func TestGoMirrorsMatchObjectBTF(t *testing.T) {
	spec, err := loadProcess()
	if err != nil {
		t.Fatal(err)
	}
	bpfcheck.MirrorsMatchBTF(t, spec, map[string]reflect.Type{
		"exec_event": reflect.TypeOf(processExecEvent{}),
		"task_event": reflect.TypeOf(processTaskEvent{}),
	})
}

func TestCommittedObjectMatchesFreshBuild(t *testing.T) {
	bpfcheck.CommittedMatchesFresh(t, "proccache", "process")
}
