package point

import (
	"bufio"
	"io"
)

// lineReader feeds the line-protocol decoder at most one line per Read.
// The decoder reads only when its buffer is exhausted, so when Next finds
// an entry, that entry starts in the chunk handed out last; counting the
// newlines handed out before it gives the entry's line number, which the
// decoder keeps to itself and which limit errors must name.
type lineReader struct {
	br       *bufio.Reader // kept across pooled uses
	pending  []byte
	newlines int
	lastNL   bool
	err      error // sticky; io.EOF at the end
}

func (r *lineReader) reset(src io.Reader) {
	*r = lineReader{br: r.br}
	if r.br == nil {
		r.br = bufio.NewReaderSize(src, 64<<10)
	} else {
		r.br.Reset(src)
	}
}

// release drops references to the request so a pooled reader pins nothing.
func (r *lineReader) release() {
	if r.br != nil {
		r.br.Reset(nil)
	}
	*r = lineReader{br: r.br}
}

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
		if len(r.pending) == 0 {
			return 0, r.err
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	r.lastNL = n > 0 && p[n-1] == '\n'
	if r.lastNL {
		r.newlines++
	}
	return n, nil
}

func (r *lineReader) fill() {
	var err error
	r.pending, err = r.br.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull {
		r.err = err
	}
}

// entryLine is the line the decoder's current entry starts on.
func (r *lineReader) entryLine() int {
	if r.lastNL {
		return r.newlines
	}
	return r.newlines + 1
}

// ioErr is the source's error, if it failed (not merely ended).
func (r *lineReader) ioErr() error {
	if r.err == io.EOF {
		return nil
	}
	return r.err
}
