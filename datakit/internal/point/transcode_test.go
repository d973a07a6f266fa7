package point

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// withExtra is the reference for TranscodeLP: the decoded points written
// one part at a time, as the pipeline writes points it is given.
func withExtra(dst []byte, pts []*Point, extra []Tag) []byte {
	for _, p := range pts {
		dst = AppendMeasurement(dst, p.Name)
		dst = AppendTags(dst, p.Tags, extra)
		for i, f := range p.Fields {
			dst = AppendField(dst, i == 0, f.Key, f.Value)
		}
		dst = AppendTime(dst, p.Time)
	}
	return dst
}

// testExtra has a tag sorting first, one between typical keys, one that
// needs escaping and one sorting last.
var testExtra = []Tag{{"a", "x"}, {"host", "h"}, {"m k", "y,z"}, {"zz", "1"}}

// sameAsDecode checks that TranscodeLP accepts what DecodeLPBytes accepts,
// fails with the same error, and writes exactly withExtra of its points.
func sameAsDecode(t *testing.T, body []byte, opt Options) {
	t.Helper()
	pts, err := DecodeLPBytes(body, opt)
	for _, extra := range [][]Tag{nil, testExtra} {
		got, n, err2 := TranscodeLP([]byte("#"), body, opt, extra)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("%q: DecodeLPBytes says %v, TranscodeLP %v", body, err, err2)
		}
		if err != nil {
			continue
		}
		want := withExtra([]byte("#"), pts, extra)
		if n != len(pts) || !bytes.Equal(got, want) {
			t.Fatalf("%q with %v: TranscodeLP wrote %d points\n%q\nwant %d\n%q", body, extra, n, got, len(pts), want)
		}
	}
}

func TestTranscodeLP(t *testing.T) {
	opt := Options{Now: testNow}
	for _, body := range []string{
		string(pointtest.NetflowBatch(50)),
		"m f=1.5,g=1.50,h=1.0,i=1000000,j=123456,k=0.0001,l=0.00001,n=1e3,o=-0,p=-0.0,q=0x1p4,r=.5,s=5.",
		"m a=007i,b=-0i,c=9223372036854775807i,d=-9223372036854775808i,e=18446744073709551615u,f=0u,g=12i",
		"m a=t,b=TRUE,c=true,d=false,e=F",
		"m s=\"plain\",t=\"\",u=\"a\\\"q\\\\\",v=\"back\\slash\",w=\"two\nlines\",x=\"tab\there\"",
		"m,b=2,a=1 f=1i",          // unsorted tags
		"m,a=1,a=2 f=1i,f=2i",     // duplicates: last wins
		"m,a=1 g=1i,f=2i",         // unsorted fields
		"m,a\\ b=c\\,d f=1i",      // escaped tag
		"m\\ n,host=own f=1i",     // escaped name; the point's host wins
		"m,t=1   f=1i   123\r\n",  // several spaces, CRLF
		"m,t=1 f=1i 1700000000\n", // seconds
		"m,zzz=1,zzzz=2 f=1i",     // extras before and between
		"m,a=1 f=1i\nm,a=1 f=1x\n",
		"m,t=1 f=1i\nm,t=\xff f=1i\n",
	} {
		sameAsDecode(t, []byte(body), opt)
	}
}

func FuzzTranscodeLP(f *testing.F) {
	for _, s := range []string{
		"m f=1", "m,t=v f=1i,g=2u,h=\"s\",b=t 1700000000", "# c\n\nm\\ x,k\\,=v\\= f=-1.5e3\r\n",
		"m f=\"a\nb\\\"\" 1\nm,a=1,a=2 f=1,f=2", "m,t=\xff f=1", "m f=", "m,=1 f=1", "m f=1 99999999999999999999",
		"m,b=1,host=2,zz=3 f=0.001,g=123456.5,h=-12i,i=7u,j=true,k=\"x\" 1700000000000",
		string(pointtest.NetflowBatch(3)),
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, prec uint8) {
		sameAsDecode(t, body, Options{Precision: Precision(prec % 7), Now: testNow,
			Limits: Limits{MaxTags: 8, MaxFields: 8, MaxKeyBytes: 16, MaxValueBytes: 64, MaxPointBytes: 256}})
	})
}

// FuzzPlainValue checks what plainValue promises: a plain value parses,
// and AppendField writes it back byte for byte.
func FuzzPlainValue(f *testing.F) {
	for _, s := range []string{"0", "-0", "12", "007", "-9223372036854775808", "1.5", "1.50", "0.0001",
		"0.00001", "123456.7", "1234567", "1200", "0.1234567890123456", "true", "t", "x y", "a\\b"} {
		f.Add([]byte(s), uint8(lineprotocol.Float))
	}
	f.Fuzz(func(t *testing.T, b []byte, k uint8) {
		kind := lineprotocol.ValueKind(k%5 + 1)
		if !plainValue(kind, b) || kind == lineprotocol.String && !utf8.Valid(b) {
			return // the decoder refuses invalid UTF-8 before plainValue sees it
		}
		v, err := lineprotocol.NewValueFromBytes(kind, b)
		if err != nil {
			t.Fatalf("plain %v %q does not parse: %v", kind, b, err)
		}
		want := string(b)
		switch kind {
		case lineprotocol.Int:
			want += "i"
		case lineprotocol.Uint:
			want += "u"
		case lineprotocol.String:
			want = `"` + want + `"` // plain strings need no escapes
		}
		if got := string(AppendField(nil, true, "k", v)); got != " k="+want {
			t.Fatalf("plain %v %q is written %q", kind, b, got)
		}
	})
}
