package point

import "github.com/influxdata/line-protocol/v2/lineprotocol"

// PlainLP returns lp with DataKit's extension values turned into strings,
// for backends of plain line protocol (InfluxDB, VictoriaMetrics): a
// binary value becomes its base64 text, an array its line-protocol text
// ("[1i,2i]"). It returns lp itself when it holds none, and how many of
// each it converted.
func PlainLP(lp []byte) (out []byte, binaries, arrays int) {
	if !mayHaveExt(lp) {
		return lp, 0, 0
	}
	const huge = 1 << 30
	pts, err := DecodeLPBytes(lp, Options{Precision: Nanosecond,
		Limits: Limits{MaxTags: huge, MaxFields: huge, MaxKeyBytes: huge, MaxValueBytes: huge, MaxPointBytes: huge, MaxMessageBytes: huge}})
	if err != nil {
		return lp, 0, 0 // not ours to judge: the backend answers
	}
	for _, p := range pts {
		for i := range p.Fields {
			f := &p.Fields[i]
			switch {
			case f.Binary():
				f.Value, _ = lineprotocol.StringValue(f.Raw[1 : len(f.Raw)-2])
				binaries++
			case f.Raw != "":
				f.Value, _ = lineprotocol.StringValue(f.Raw)
				arrays++
			default:
				continue
			}
			f.Raw = ""
		}
	}
	if binaries+arrays == 0 {
		return lp, 0, 0
	}
	return AppendLP(make([]byte, 0, len(lp)+len(lp)/8), pts...), binaries, arrays
}
