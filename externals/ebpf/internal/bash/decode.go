package bash

import (
	"bytes"
	"fmt"
	"unsafe"
)

const eventSize = int(unsafe.Sizeof(bashBashEvent{}))

// line is one decoded readline return.
type line struct {
	pid, uid uint32
	comm     string
	cmd      string
	cut      bool // longer than the kernel copies
}

// decodeEvent decodes a bash_event record, length first.
func decodeEvent(b []byte) (line, error) {
	if len(b) < eventSize {
		return line{}, fmt.Errorf("bash_event: %d bytes, want %d", len(b), eventSize)
	}
	e := (*bashBashEvent)(unsafe.Pointer(&b[0]))
	if e.Len == 0 || int(e.Len) >= len(e.Line) {
		return line{}, fmt.Errorf("bash_event: len %d out of bounds (1..%d)", e.Len, len(e.Line)-1)
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&e.Line[0])), e.Len)
	comm := unsafe.Slice((*byte)(unsafe.Pointer(&e.Comm[0])), len(e.Comm))
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	return line{pid: e.Pid, uid: e.Uid, comm: string(comm), cmd: string(raw), cut: int(e.Len) == len(e.Line)-1}, nil
}
