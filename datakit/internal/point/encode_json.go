package point

import "encoding/json"

// AppendJSON appends pts as DataKit's plain JSON points (what it answers
// to echo=json): [{"measurement":..,"tags":{..},"fields":{..},"time":ns}].
func AppendJSON(dst []byte, pts []*Point) []byte {
	type jsonOut struct {
		Measurement string            `json:"measurement"`
		Tags        map[string]string `json:"tags,omitempty"`
		Fields      map[string]any    `json:"fields"`
		Time        int64             `json:"time,omitempty"`
	}
	out := make([]jsonOut, len(pts))
	for i, p := range pts {
		o := &out[i]
		o.Measurement, o.Fields = p.Name, make(map[string]any, len(p.Fields))
		if !p.Time.IsZero() {
			o.Time = p.Time.UnixNano()
		}
		if len(p.Tags) > 0 {
			o.Tags = make(map[string]string, len(p.Tags))
			for _, t := range p.Tags {
				o.Tags[t.Key] = t.Value
			}
		}
		for _, f := range p.Fields {
			switch {
			case f.Binary(): // as encoding/json writes []byte
				o.Fields[f.Key] = f.Raw[1 : len(f.Raw)-2]
			case f.Raw != "": // an array, as its line protocol
				o.Fields[f.Key] = f.Raw
			default:
				o.Fields[f.Key] = f.Value.Interface()
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil { // only strings, numbers and bools: it cannot fail
		panic(err)
	}
	return append(dst, b...)
}
