package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Caps on what is read of a runtime's file: a container's config is a
// few KiB (a long environment makes it tens), containers/storage's list
// about 1 KiB per container.
const (
	configLimit  = 1 << 20
	storageLimit = 32 << 20
)

// readCapped reads the file at path, refusing files over limit. A
// missing file is reported as os.ErrNotExist (unwrapped by errors.Is), so
// sources can tell "not this runtime" from a broken file.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, not read", path, limit)
	}
	return b, nil
}

// jsonErr adds the line and column to a syntax or type error.
func jsonErr(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return err
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// errTooLarge ends a streamed read that went past its cap.
var errTooLarge = errors.New("file larger than its cap")

// capped reads at most n bytes, then fails with errTooLarge, so a
// streaming decoder stops on an oversized file instead of reading it all.
type capped struct {
	r io.Reader
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}
