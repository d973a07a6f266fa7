package point

import "github.com/influxdata/line-protocol/v2/lineprotocol"

// AppendLP appends pts to dst as line protocol with nanosecond timestamps
// (a zero Time is written without one). A point the encoder refuses is left
// out and the first such error is returned with the rest encoded.
func AppendLP(dst []byte, pts ...*Point) ([]byte, error) {
	var e lineprotocol.Encoder
	e.SetBuffer(dst)
	for _, p := range pts {
		e.StartLine(p.Name)
		for _, t := range p.Tags {
			e.AddTag(t.Key, t.Value)
		}
		for _, f := range p.Fields {
			e.AddField(f.Key, f.Value)
		}
		e.EndLine(p.Time)
	}
	return e.Bytes(), e.Err()
}

// String is the point as one line of line protocol, for logs and tests.
func (p *Point) String() string {
	b, err := AppendLP(nil, p)
	if err != nil {
		return "invalid point: " + err.Error()
	}
	return string(b[:len(b)-1])
}
