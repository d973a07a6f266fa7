package spool

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
)

// The cursor file holds the position of the oldest record not yet
// acknowledged: uint64 segment | uint64 offset | uint32 CRC-32C of both.
// It is rewritten in place on every Ack (one pwrite) and fsynced on rotation
// and Close only: after a power loss it may lag, which means records already
// delivered are delivered again (at-least-once), never that records are lost.
const cursorName = "cursor"

// Pos is a position in the queue: a segment and a byte offset in it.
// Idx counts records from the segment's start; it is not stored but
// recomputed on Open.
type Pos struct {
	Seg uint64
	Off int64
	Idx int64
}

type cursorFile struct{ f *os.File }

func openCursor(dir string) (*cursorFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, cursorName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &cursorFile{f: f}, nil
}

// load returns the stored position; ok is false when the file is empty or
// does not check out.
func (c *cursorFile) load() (p Pos, ok bool) {
	var b [20]byte
	if n, _ := c.f.ReadAt(b[:], 0); n != len(b) {
		return Pos{}, false
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		return Pos{}, false
	}
	return Pos{Seg: binary.LittleEndian.Uint64(b[0:8]), Off: int64(binary.LittleEndian.Uint64(b[8:16]))}, true
}

func (c *cursorFile) store(p Pos) error {
	var b [20]byte
	binary.LittleEndian.PutUint64(b[0:8], p.Seg)
	binary.LittleEndian.PutUint64(b[8:16], uint64(p.Off))
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	_, err := c.f.WriteAt(b[:], 0)
	return err
}
