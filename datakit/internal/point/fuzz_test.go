package point

import (
	"bytes"
	"testing"
	"testing/iotest"

	"netobs.local/agent/datakit/internal/point/pointtest"
)

// roundTrip checks that accepted points encode and decode back unchanged.
func roundTrip(t *testing.T, pts []*Point) {
	t.Helper()
	out := AppendLP(nil, pts...)
	again, err := DecodeLPBytes(out, Options{Precision: Nanosecond, Now: testNow})
	if err != nil {
		t.Fatalf("re-decoding %q: %v", out, err)
	}
	if d := samePoints(again, pts); d != "" {
		t.Fatalf("round trip through %q: %s", out, d)
	}
}

func FuzzDecodeLP(f *testing.F) {
	for _, s := range []string{
		"m f=1", "m,t=v f=1i,g=2u,h=\"s\",b=t 1700000000", "# c\n\nm\\ x,k\\,=v\\= f=-1.5e3\r\n",
		"m f=\"a\nb\\\"\" 1\nm,a=1,a=2 f=1,f=2", "m,t=\xff f=1", "m f=", "m,=1 f=1", "m f=1 99999999999999999999",
		string(pointtest.NetflowBatch(3)),
		`m b="aGVsbG8="b,a=[1i,-2i],f=[1.5,2],s=["x,]","y\"z"],t=[true,F] 1`, `m a=[],b=""b,c=[1i,2.5]`, "m e=\"\",a=[\"aGk=\"b] 1\nm x=1",
		`m a=[1u,2u`, `m,t=[1] f=1`, `m f="x"b`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, prec uint8) {
		opt := Options{Precision: Precision(prec % 7), Now: testNow, Limits: Limits{MaxTags: 8, MaxFields: 8, MaxKeyBytes: 16, MaxValueBytes: 64, MaxPointBytes: 256}}
		pts, err := DecodeLPBytes(body, opt)
		streamed, err2 := DecodeLP(iotest.HalfReader(bytes.NewReader(body)), opt)
		if mayHaveExt(body) {
			// Only a body in memory may hold DataKit's extensions.
			streamed, err2 = pts, err
		}
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("bytes and stream disagree: %v / %v", err, err2)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		if d := samePoints(streamed, pts); d != "" {
			t.Fatal(d)
		}
		roundTrip(t, pts)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`[{"measurement":"m","tags":{"t":"v"},"fields":{"f":1,"g":1.5,"s":"x","b":true},"time":1700000000}]`,
		`[{"measurement":"m","fields":{"f":18446744073709551615},"time":"2024-01-01T00:00:00Z"}]`,
		`[{"measurement":"a\\","fields":{"f":1}}]`, `[]`, `[{}]`, `{"a":1}`, "[\"\xff\"]",
		`[{"measurement":"m","fields":{"a":[1,2],"b":[1,2.5],"c":["x","y\n"],"d":[true],"e":[],"f":[1,"x"],"g":null}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pts, err := DecodeJSONBytes(body, Options{Now: testNow})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		roundTrip(t, pts)
	})
}
