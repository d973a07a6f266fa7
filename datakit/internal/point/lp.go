package point

import (
	"bytes"
	"io"
	"sync"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// DecodeLP decodes a whole line-protocol body read from r, without
// DataKit's extensions (they need the body in memory: DecodeLPBytes). Either every
// point is returned or none: the first bad entry ends decoding with an
// *Error naming its line (and column when the decoder knows it). An error
// of r itself (a size limit, a broken connection) is returned unchanged,
// even if it truncated the input into something that still parses.
func DecodeLP(r io.Reader, opt Options) ([]*Point, error) {
	lr := lineReaderPool.Get().(*lineReader)
	defer func() { lr.release(); lineReaderPool.Put(lr) }()
	lr.reset(r)
	var pts []*Point
	err := decodeEntries(lineprotocol.NewDecoder(lr), nil, opt, lr.entryLine, nil, func(e *lpEntry) {
		pts = append(pts, e.a.keep(e))
	})
	if ioErr := lr.ioErr(); ioErr != nil {
		return nil, ioErr
	}
	if err != nil {
		return nil, err
	}
	return pts, nil
}

// DecodeLPBytes is DecodeLP over a body in memory, and faster: the
// points' strings point into body wherever no unescaping was needed, so
// body must not be modified afterwards (and stays alive as long as any of
// its points).
func DecodeLPBytes(body []byte, opt Options) ([]*Point, error) {
	pts := make([]*Point, 0, bytes.Count(body, []byte{'\n'})+1)
	err := decodeBytes(body, opt, func() { pts = pts[:0] }, func(e *lpEntry) { pts = append(pts, e.a.keep(e)) })
	if err != nil {
		return nil, err
	}
	return pts, nil
}

var lineReaderPool = sync.Pool{New: func() any { return new(lineReader) }}

// decodeBytes hands every entry of body to keep, or returns the first
// error. The decoder keeps line numbers to itself, and from memory a bad
// field value is reported without them (see nextField): decoding again one
// line at a time finds the same error and where it is. Errors are rare.
// A body that fails and may hold DataKit's extensions is decoded again
// without them (see ext.go), after restart forgets the entries kept.
func decodeBytes(body []byte, opt Options, restart func(), keep func(*lpEntry)) error {
	err := decodeEntries(lineprotocol.NewDecoderWithBytes(body), body, opt, nil, nil, keep)
	if err != nil && mayHaveExt(body) {
		sugar, subs, perr := desugar(body)
		if perr != nil {
			return perr
		}
		restart()
		body = sugar
		err = decodeEntries(lineprotocol.NewDecoderWithBytes(body), body, opt, nil, subs, keep)
	}
	if pe, ok := err.(*Error); ok && pe.Line == 0 {
		if _, again := DecodeLP(bytes.NewReader(body), opt); again != nil {
			err = again
		}
	}
	return err
}

// decodeEntries hands every entry of dec to keep, or returns the first
// error; src is the decoder's input when it is in memory, line (if any)
// the line of the current entry, subs what desugar replaced.
func decodeEntries(dec *lineprotocol.Decoder, src []byte, opt Options, line func() int, subs []string, keep func(*lpEntry)) error {
	e := lpEntry{
		dec:  dec,
		a:    arena{src: src},
		lim:  opt.Limits.WithDefaults(),
		prec: opt.Precision,
		now:  opt.now(),
		chk:  newChecker(&opt),
		subs: subs,
	}
	for e.dec.Next() {
		if err := e.next(); err != nil {
			if err.Line == 0 && line != nil {
				err.Line = line()
			}
			return err
		}
		keep(&e)
	}
	if e.nsub != len(e.subs) {
		return syntaxErrorf("", "line protocol extensions could not be matched to their fields")
	}
	return nil
}
