package point

import "github.com/influxdata/line-protocol/v2/lineprotocol"

// TranscodeLP validates body exactly as DecodeLPBytes does and appends to
// dst what AppendLP writes for the decoded points with the tags of extra
// added (see AppendTags), without building the points: it is the HTTP
// ingest path, from the request body to the pipeline's line protocol in
// one pass. Field values are copied as written where that is what
// AppendField would write anyway (see plainValue). It returns the extended
// dst and the number of points, or DecodeLPBytes's error (dst then holds
// a partial batch past its original length).
func TranscodeLP(dst, body []byte, opt Options, extra []Tag) ([]byte, int, error) {
	n, start := 0, len(dst)
	err := decodeBytes(body, opt, func() { dst, n = dst[:start], 0 }, func(e *lpEntry) {
		dst = e.appendLP(dst, extra)
		n++
	})
	return dst, n, err
}

// appendLP writes the current entry as AppendLP would, plus extra.
func (e *lpEntry) appendLP(dst []byte, extra []Tag) []byte {
	if e.asWritten {
		return e.splice(dst, extra)
	}
	dst = AppendMeasurement(dst, e.name)
	dst = AppendTags(dst, e.tags, extra)
	for i := range e.fields {
		f := &e.fields[i]
		if f.ext != "" {
			dst = append(appendFieldKey(dst, i == 0, f.Key), f.ext...)
			continue
		}
		if !f.plain {
			dst = AppendField(dst, i == 0, f.Key, f.value)
			continue
		}
		dst = appendFieldKey(dst, i == 0, f.Key)
		switch f.kind {
		case lineprotocol.String:
			dst = append(append(append(dst, '"'), f.raw...), '"')
		case lineprotocol.Int:
			dst = append(append(dst, f.raw...), 'i')
		case lineprotocol.Uint:
			dst = append(append(dst, f.raw...), 'u')
		default:
			dst = append(dst, f.raw...)
		}
	}
	return AppendTime(dst, e.time)
}

// splice writes an entry that is as written (see lpEntry.asWritten) by
// copying the input from the name to the end of the tags, with the extra
// tags it lacks inserted where they sort (between two tags, each is
// ",key=value"), then the fields, then the time. Line protocol allows
// several spaces between sections and a written time in any unit: those
// two are written afresh.
func (e *lpEntry) splice(dst []byte, extra []Tag) []byte {
	src := e.a.src
	from := e.a.offsetOf(e.name)
	end := from + len(e.name) // of the tags
	if n := len(e.tags); n > 0 {
		last := e.tags[n-1].Value
		end = e.a.offsetOf(last) + len(last)
	}
	own := e.tags
	for _, x := range extra {
		for len(own) > 0 && own[0].Key < x.Key {
			own = own[1:]
		}
		if len(own) > 0 && own[0].Key == x.Key {
			continue // the point's own tag wins
		}
		at := end
		if len(own) > 0 {
			at = e.a.offsetOf(own[0].Key) - 1 // its comma
		}
		dst = AppendTag(append(dst, src[from:at]...), x.Key, x.Value)
		from = at
	}
	dst = append(append(dst, src[from:end]...), ' ')

	first, last := &e.fields[0], &e.fields[len(e.fields)-1]
	end = e.a.offset(&last.raw[0], len(last.raw)) + len(last.raw)
	switch last.kind {
	case lineprotocol.String, lineprotocol.Int, lineprotocol.Uint:
		end++ // the closing quote or the type suffix
	}
	dst = append(dst, src[e.a.offsetOf(first.Key):end]...)
	return AppendTime(dst, e.time)
}
