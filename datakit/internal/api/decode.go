package api

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
)

// The decoders' output is claimed from the budget as the body is: before
// it is made when its size can be bounded, at its measured size after.

// transcode is point.TranscodeLP into a pooled buffer cl is charged for.
// Its size is estimated before: the body, a timestamp and the global tags
// on every line, and some slack for canonical rewriting; if the
// transcoder still had to grow it, the difference is claimed after.
func (s *Server) transcode(body []byte, opt point.Options, extra []point.Tag, cl *claim) ([]byte, int, error) {
	lines := bytes.Count(body, []byte{'\n'}) + 1
	est := len(body) + len(body)/8 + 64 + lines*(len(" 1700000000000000000")+tagsLen(extra))
	charged := capFor(est)
	if err := cl.grow(charged); err != nil {
		return nil, 0, err
	}
	out, n, err := point.TranscodeLP(buffers.get(est), body, opt, extra)
	if err == nil {
		err = cl.grow(cap(out) - charged)
	}
	return out, n, err
}

// jsonFactor is the typical size of decoded JSON points over their body
// (about 4 for DataKit-style points): claimed before decoding, so that
// concurrent decodes are bounded too, and corrected to the measured size
// after.
const jsonFactor = 4

func (s *Server) decodeJSON(body []byte, opt point.Options, extra []point.Tag, cl *claim) ([]*point.Point, error) {
	charged := jsonFactor * len(body)
	if err := cl.grow(charged); err != nil {
		return nil, err
	}
	pts, err := point.DecodeJSONBytes(body, opt)
	if err != nil {
		return nil, err
	}
	// The points, and the line protocol the pipeline encodes from them.
	size := pointsBytes(pts) + len(pts)*tagsLen(extra)
	if size > charged {
		return pts, cl.grow(size - charged)
	}
	cl.shrink(charged - size)
	return pts, nil
}

// echo is the answer of echo=lp or echo=json: the points as sent (after
// DataKit's fixes), without the pipeline's tags, and its content type.
// owned says it is a buffer of its own, to put back.
func (s *Server) echo(format string, b *pipeline.Batch, body []byte, opt point.Options, extra []point.Tag, cl *claim) (out []byte, contentType string, owned bool, err error) {
	opt.OnFix = nil // counted once already
	const lp = "text/plain; charset=utf-8"
	pts := b.Points
	if format == "json" {
		if pts == nil {
			if pts, err = s.decodeJSONOf(body, opt, cl); err != nil {
				return nil, "", false, err
			}
		}
		out = point.AppendJSON(nil, pts)
		return out, "application/json", false, cl.grow(cap(out))
	}
	switch {
	case len(pts) > 0:
		est := pointsBytes(pts) / 2
		if err := cl.grow(capFor(est)); err != nil {
			return nil, "", false, err
		}
		out = point.AppendLP(buffers.get(est), pts...)
		return out, lp, true, cl.grow(cap(out) - capFor(est))
	case len(extra) > 0:
		out, _, err = s.transcode(body, opt, nil, cl) // it passed once
		return out, lp, true, err
	}
	return b.Encoded, lp, false, nil
}

// decodeJSONOf decodes a line-protocol body into points for echo=json,
// claimed as decodeJSON claims them.
func (s *Server) decodeJSONOf(body []byte, opt point.Options, cl *claim) ([]*point.Point, error) {
	charged := jsonFactor * len(body)
	if err := cl.grow(charged); err != nil {
		return nil, err
	}
	pts, err := point.DecodeLPBytes(body, opt) // it passed once
	if size := pointsBytes(pts); size > charged {
		return pts, errors.Join(err, cl.grow(size-charged))
	}
	return pts, err
}

// tagsLen is what extra adds to a line: ",k=v" each.
func tagsLen(extra []point.Tag) int {
	n := 0
	for _, t := range extra {
		n += 2 + len(t.Key) + len(t.Value)
	}
	return n
}

// pointsBytes is the memory pts hold, plus their encoded size: the
// structs, the strings, and a line of line protocol each.
func pointsBytes(pts []*point.Point) int {
	const (
		pointSize = int(unsafe.Sizeof(point.Point{})) + int(unsafe.Sizeof(&point.Point{}))
		tagSize   = int(unsafe.Sizeof(point.Tag{}))
		fieldSize = int(unsafe.Sizeof(point.Field{}))
	)
	n := 0
	for _, p := range pts {
		strs := len(p.Name)
		for _, t := range p.Tags {
			strs += len(t.Key) + len(t.Value) + 2
		}
		for _, f := range p.Fields {
			strs += len(f.Key) + 2
			if f.Value.Kind() == lineprotocol.String {
				strs += len(f.Value.BytesV())
			} else {
				strs += 24 // a number's digits
			}
		}
		// Once in the points, once in the encoded line (with its time).
		n += pointSize + cap(p.Tags)*tagSize + cap(p.Fields)*fieldSize + 2*strs + 20
	}
	return n
}
