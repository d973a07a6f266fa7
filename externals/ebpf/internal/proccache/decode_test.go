package proccache

import (
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"
)

func execRecord(pid uint32, path, cgroup, parent string, args []byte, full uint32) []byte {
	var e processExecEvent
	e.Task = processTaskEvent{Type: uint32(processProcEventTypeEVENT_PROC_EXEC), Pid: pid, Ppid: 1, StartNs: 42}
	e.Uid = 1000
	copy(bytesOf(e.Comm[:]), "curl")
	e.PathLen = uint32(copy(bytesOf(e.Path[:]), path))
	copy(bytesOf(e.Cgroup[:]), cgroup)
	copy(bytesOf(e.CgroupParent[:]), parent)
	e.ArgsLen = uint32(copy(bytesOf(e.Args[:]), args))
	e.ArgsFullLen = full
	b := unsafe.Slice((*byte)(unsafe.Pointer(&e)), execEventSize)
	return append([]byte(nil), b...)
}

func taskRecord(typ processProcEventType, pid, ppid uint32) []byte {
	e := processTaskEvent{Type: uint32(typ), Pid: pid, Ppid: ppid, ExitCode: 256, StartNs: 7}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&e)), taskEventSize)...)
}

func TestDecodeExecRoundTrip(t *testing.T) {
	id := strings.Repeat("ab", 32)
	b := execRecord(9, "/usr/bin/curl", "docker-"+id+".scope", "system.slice", []byte("curl\x00-s\x00http://x/\x00"), 18)
	ev, err := decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	x := ev.exec
	if ev.task.Pid != 9 || x == nil || x.path != "/usr/bin/curl" || x.comm != "curl" || x.uid != 1000 || x.argsCut {
		t.Fatalf("got %+v %+v", ev.task, x)
	}
	if strings.Join(x.args, "|") != "curl|-s|http://x/" {
		t.Errorf("args %q", x.args)
	}
	if x.cgroup != "system.slice/docker-"+id+".scope" || ContainerID(x.cgroup) != id {
		t.Errorf("cgroup %q", x.cgroup)
	}
	ev, _ = decodeRecord(execRecord(9, "/bin/x", "", "", []byte("x\x00aaaa"), 5000))
	if !ev.exec.argsCut || ev.exec.cgroup != "" {
		t.Errorf("cut argv: %+v", ev.exec)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := execRecord(1, "/a", "", "", nil, 0)
	bad := append([]byte(nil), good...)
	binary.NativeEndian.PutUint32(bad[unsafe.Offsetof(processExecEvent{}.PathLen):], 9999)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short type":    {1, 0},
		"short exec":    good[:execEventSize-1],
		"short fork":    taskRecord(processProcEventTypeEVENT_PROC_FORK, 1, 1)[:taskEventSize-1],
		"unknown type":  taskRecord(9, 1, 1),
		"path_len huge": bad,
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	for _, typ := range []processProcEventType{processProcEventTypeEVENT_PROC_FORK, processProcEventTypeEVENT_PROC_EXIT} {
		ev, err := decodeRecord(taskRecord(typ, 5, 4))
		if err != nil || ev.task.Pid != 5 || ev.task.Ppid != 4 || ev.exec != nil {
			t.Errorf("type %d: %+v %v", typ, ev, err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(execRecord(3, "/usr/bin/curl", "leaf", "parent", []byte("a\x00b\x00"), 4))
	f.Add(taskRecord(processProcEventTypeEVENT_PROC_FORK, 1, 2))
	f.Add(taskRecord(processProcEventTypeEVENT_PROC_EXIT, 1, 2))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeRecord(b)
		if err != nil {
			return
		}
		if ev.exec != nil && len(b) < execEventSize || len(b) < taskEventSize {
			t.Fatalf("decoded %d bytes", len(b))
		}
	})
}
