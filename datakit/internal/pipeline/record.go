package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A queued record is one submitted batch, already encoded:
//
//	version (1) | category length (1) | category | enqueue time, unix ns (8, LE) | points (uvarint) | line protocol
//
// so the worker can count per category and measure delivery lag without
// decoding the line protocol.
const recordVersion = 1

// appendRecordHeader starts a record in buf.
func appendRecordHeader(buf []byte, category string, enqueued time.Time, points int) []byte {
	buf = append(buf, recordVersion, byte(len(category)))
	buf = append(buf, category...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(enqueued.UnixNano()))
	return binary.AppendUvarint(buf, uint64(points))
}

type record struct {
	category string
	enqueued time.Time
	points   int
	lp       []byte
}

var errBadRecord = errors.New("malformed queue record")

func parseRecord(b []byte) (record, error) {
	if len(b) < 2 || b[0] != recordVersion {
		return record{}, fmt.Errorf("%w: bad version", errBadRecord)
	}
	n := int(b[1])
	b = b[2:]
	if len(b) < n+8 {
		return record{}, fmt.Errorf("%w: short header", errBadRecord)
	}
	r := record{category: string(b[:n])}
	r.enqueued = time.Unix(0, int64(binary.LittleEndian.Uint64(b[n:n+8])))
	pts, k := binary.Uvarint(b[n+8:])
	if k <= 0 {
		return record{}, fmt.Errorf("%w: bad point count", errBadRecord)
	}
	r.points = int(pts)
	r.lp = b[n+8+k:]
	return r, nil
}
