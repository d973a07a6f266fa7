package point

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

var testNow = time.Unix(1_700_000_000, 0)

func mustValue(x any) lineprotocol.Value { return lineprotocol.MustNewValue(x) }

// samePoints reports how got and want differ, or "" when they are equal.
func samePoints(got, want []*Point) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d points, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || !g.Time.Equal(w.Time) || len(g.Tags) != len(w.Tags) || len(g.Fields) != len(w.Fields) {
			return fmt.Sprintf("point %d: got %v, want %v", i, g, w)
		}
		for j := range g.Tags {
			if g.Tags[j] != w.Tags[j] {
				return fmt.Sprintf("point %d tag %d: got %v, want %v", i, j, g.Tags[j], w.Tags[j])
			}
		}
		for j := range g.Fields {
			if g.Fields[j].Key != w.Fields[j].Key || g.Fields[j].Raw != w.Fields[j].Raw || !g.Fields[j].Value.Equal(w.Fields[j].Value) {
				return fmt.Sprintf("point %d field %d: got %v, want %v", i, j, g.Fields[j], w.Fields[j])
			}
		}
	}
	return ""
}

func TestDecodeLP(t *testing.T) {
	body := "# comment\n\n" +
		"cpu,host=a,cpu=cpu0 usage=1.5,n=3i,u=4u,ok=true,s=\"a \\\"q\\\"\" 1700000000000000000\n" +
		"cpu,b=2,a=1,b=3 x=1i,x=2i\r\n" + // unsorted, duplicate tag and field: last wins
		"my\\ m,k\\,1=v\\=1 msg=\"two\nlines\" 1700000000\n"
	pts, err := DecodeLPBytes([]byte(body), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	want := []*Point{
		{Name: "cpu", Tags: []Tag{{"cpu", "cpu0"}, {"host", "a"}}, Fields: []Field{
			{Key: "n", Value: mustValue(int64(3))}, {Key: "ok", Value: mustValue(true)}, {Key: "s", Value: mustValue(`a "q"`)},
			{Key: "u", Value: mustValue(uint64(4))}, {Key: "usage", Value: mustValue(1.5)},
		}, Time: time.Unix(1_700_000_000, 0)},
		{Name: "cpu", Tags: []Tag{{"a", "1"}, {"b", "3"}}, Fields: []Field{{Key: "x", Value: mustValue(int64(2))}}, Time: testNow},
		{Name: "my m", Tags: []Tag{{"k,1", "v=1"}}, Fields: []Field{{Key: "msg", Value: mustValue("two\nlines")}}, Time: time.Unix(1_700_000_000, 0)},
	}
	if d := samePoints(pts, want); d != "" {
		t.Fatal(d)
	}
}

func TestDecodeLPStreamsTheSame(t *testing.T) {
	body := []byte(strings.Repeat("m,t=1 f=1i,s=\"x\ny\"\n\n", 500))
	a, err := DecodeLPBytes(body, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeLP(iotest.OneByteReader(bytes.NewReader(body)), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if d := samePoints(a, b); d != "" || len(a) != 500 {
		t.Fatal(len(a), d)
	}
}

func TestDecodeLPErrors(t *testing.T) {
	lim := Limits{MaxTags: 3, MaxFields: 2, MaxKeyBytes: 8, MaxValueBytes: 10, MaxPointBytes: 40}
	ok := "m,t=1 f=1\n"
	for _, tc := range []struct {
		name, body string
		kind       ErrorKind
		msg        string
	}{
		{"truncated", ok + ok + "m,t=1 f=", Syntax, "line 3, column 9: expected field value"},
		{"no fields", ok + "m,t=1\n", Syntax, "line 2, column 6: expected tag key or field"},
		{"bad escape", ok + "m,t\\=x f=1\n", Syntax, "line 2, column 3: expected '=' after tag key \"t=x\""},
		{"bad value", ok + ok + ok + "m f=1x\n", Syntax, "line 4, column 5: cannot parse value for field key \"f\""},
		{"unterminated string", "m f=\"abc\n\n", Syntax, "line 1, column 5: expected closing quote"},
		{"invalid utf8", ok + "m,t=\xff f=1\n", Syntax, "line 2, column 5: invalid utf-8"},
		{"bad timestamp", ok + "m f=1 12a\n", Syntax, "line 2, column 7: invalid timestamp"},
		{"timestamp range", ok + "m f=1 999999999999999999\n", Syntax, "out of range"},
		{"too many tags", ok + "\n\nm,a=1,b=1,c=1,d=1 f=1\n", Limit, "line 4, key \"d\": more than 3 tags"},
		{"too many fields", "m a=1,b=1,c=1\n", Limit, "line 1, key \"c\": more than 2 fields"},
		{"long key", "m abcdefghi=1\n", Limit, "line 1, key \"abcdefghi\": field key is 9 bytes"},
		{"long tag value", "m,t=12345678901 f=1\n", Limit, "line 1, key \"t\": value is 11 bytes"},
		{"long string", "m f=\"12345678901\"\n", Limit, "line 1, key \"f\": value is 11 bytes"},
		{"long name", "abcdefghi f=1\n", Limit, "measurement name is 9 bytes"},
		{"big point", "m,t=1234567890,u=1234567890 f=\"1234567890\",g=\"1234567890\"\n", Limit, "key \"g\": point is larger than 40 bytes"},
		{"after multiline string", "m f=\"a\nb\nc\" 1\nm,a=1,b=1,c=1,d=1 f=1\n", Limit, "line 4, key \"d\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeLPBytes([]byte(tc.body), Options{Limits: lim})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want *Error", err)
			}
			if pe.Kind != tc.kind || !strings.Contains(pe.Error(), tc.msg) {
				t.Fatalf("got kind %d %q, want kind %d containing %q", pe.Kind, pe.Error(), tc.kind, tc.msg)
			}
			// The streaming path must agree on where the error is.
			_, err2 := DecodeLP(iotest.HalfReader(strings.NewReader(tc.body)), Options{Limits: lim})
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("streaming: got %v, want %v", err2, err)
			}
		})
	}
}

func TestDecodeLPTenThousandTags(t *testing.T) {
	var b strings.Builder
	b.WriteString("ok f=1\nm")
	for i := range 10000 {
		fmt.Fprintf(&b, ",t%05d=v", i)
	}
	b.WriteString(" f=1\n")
	_, err := DecodeLPBytes([]byte(b.String()), Options{})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != Limit || !strings.HasPrefix(err.Error(), `line 2, key "t00256": more than 256 tags`) {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeLPReaderError(t *testing.T) {
	boom := errors.New("boom")
	// The reader fails after a prefix that still parses: the error wins.
	r := iotest.DataErrReader(&failAfter{data: []byte("m f=12"), err: boom})
	if _, err := DecodeLP(r, Options{}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

type failAfter struct {
	data []byte
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestPrecision(t *testing.T) {
	sec := int64(1_760_000_000)
	for _, tc := range []struct {
		prec string
		ts   int64
		want time.Time
	}{
		{"", sec, time.Unix(sec, 0)},
		{"", sec * 1e3, time.Unix(sec, 0)},
		{"", sec * 1e6, time.Unix(sec, 0)},
		{"", sec * 1e9, time.Unix(sec, 0)},
		{"n", 5, time.Unix(0, 5)},
		{"u", 5, time.Unix(0, 5000)},
		{"ms", 5, time.Unix(0, 5e6)},
		{"s", 5, time.Unix(5, 0)},
		{"m", 5, time.Unix(300, 0)},
		{"h", 5, time.Unix(18000, 0)},
	} {
		p, err := ParsePrecision(tc.prec)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := DecodeLPBytes(fmt.Appendf(nil, "m f=1 %d", tc.ts), Options{Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		if !pts[0].Time.Equal(tc.want) {
			t.Errorf("precision %q ts %d: got %v, want %v", tc.prec, tc.ts, pts[0].Time, tc.want)
		}
	}
	if _, err := ParsePrecision("d"); err == nil {
		t.Error("precision d accepted")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	body := "cpu,host=a\\ b,z=\\, f=1.5,i=-3i,u=7u,b=false,s=\"q\\\"\\\\\\n\" 1700000000000000001\n"
	pts, err := DecodeLPBytes([]byte(body), Options{Precision: Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	out := AppendLP(nil, pts...)
	want := "cpu,host=a\\ b,z=\\, b=false,f=1.5,i=-3i,s=\"q\\\"\\\\\\n\",u=7u 1700000000000000001\n"
	if string(out) != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
}
