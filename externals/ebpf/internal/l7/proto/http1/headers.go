package http1

import (
	"bytes"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

// never are the headers whose values are never copied, whoever asks:
// credentials stay out of every record.
var never = [][]byte{[]byte("authorization"), []byte("proxy-authorization"), []byte("cookie"), []byte("set-cookie")}

// appendHeaders appends the request head's headers named in want (lower
// case) to dst, in the order they come, values trimmed. Only the head's
// lines are read: the scan stops at its blank line.
func appendHeaders(dst []l7.Header, head []byte, want []string) []l7.Header {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[i+1:] // the request line
	} else {
		return dst
	}
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the end of the head
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		for _, w := range want {
			if bytes.EqualFold(name, []byte(w)) && !secret(name) {
				dst = append(dst, l7.Header{Name: w, Value: string(bytes.TrimSpace(value))})
				break
			}
		}
	}
	return dst
}

func secret(name []byte) bool {
	for _, n := range never {
		if bytes.EqualFold(name, n) {
			return true
		}
	}
	return false
}
