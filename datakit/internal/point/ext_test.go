package point

import (
	"errors"
	"strings"
	"testing"
)

// TestExtensions: DataKit's binary and array values decode, keep their
// canonical text, and transcode; everything else still decodes as before.
func TestExtensions(t *testing.T) {
	body := "m,t=1 b=\"aGVsbG8=\"b,i=[1i,-02i],f=[1.50,2],s=[\"a,]\",\"b\\\"c\"],o=[t,FALSE],d=[\"aGk=\"b],e=\"\",x=1i 1700000000\n" +
		"# comment with =[\n" +
		"n v=1i,msg=\"say \\\"b\" 1700000000\n"
	pts, err := DecodeLPBytes([]byte(body), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	want := `m,t=1 b="aGVsbG8="b,d=["aGk="b],e="",f=[1.5,2],i=[1i,-2i],o=[true,false],s=["a,]","b\"c"],x=1i 1700000000000000000`
	if len(pts) != 2 || pts[0].String() != want || pts[1].String() != `n msg="say \"b",v=1i 1700000000000000000` {
		t.Fatalf("got %v", pts)
	}
	out, n, err := TranscodeLP(nil, []byte(body), Options{Now: testNow}, []Tag{{"host", "h"}})
	if err != nil || n != 2 || !strings.HasPrefix(string(out), `m,host=h,t=1 b="aGVsbG8="b,d=["aGk="b],e=""`) {
		t.Fatalf("transcode: %d %v %q", n, err, out)
	}
	roundTrip(t, pts)
}

func TestExtensionErrors(t *testing.T) {
	for body, msg := range map[string]string{
		"m f=1\nm b=\"!!\"b":   `line 2, key "b": binary value: illegal base64`,
		`m b=""b`:              "binary value: empty",
		`m a=[]`:               "empty array",
		`m a=[1i,2.5]`:         "element 1 is float, element 0 integer",
		`m a=[1i,`:             "without its closing ']'",
		`m a=[[1i]]`:           "element 0",
		"m f=1\nm f=1x,a=[1i]": "line 2",
		`m a=[1i,2i] 12x`:      "line 1",
	} {
		_, err := DecodeLPBytes([]byte(body), Options{})
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: got %v, want %q", body, err, msg)
		}
	}
	_, err := DecodeLPBytes([]byte(`m a=["`+strings.Repeat("x", 80)+`"]`), Options{Limits: Limits{MaxValueBytes: 64}})
	if err == nil || !strings.Contains(err.Error(), "max_value_bytes") {
		t.Fatalf("long array: %v", err)
	}
}

// TestExtensionRules: a metric drops a binary field (DataKit's rule for
// string and byte values) and keeps an array.
func TestExtensionRules(t *testing.T) {
	pts, err := DecodeLPBytes([]byte(`m b="aGk="b,a=[1i],f=1i`), Options{Category: "metric", Now: testNow})
	if err != nil || pts[0].String() != "m a=[1i],f=1i 1700000000000000000" {
		t.Fatal(pts, err)
	}
}

// TestJSONArrays: arrays of one kind become array fields; mixed, nested
// and empty ones are dropped as DataKit keeps nothing of them.
func TestJSONArrays(t *testing.T) {
	pts, err := DecodeJSONBytes([]byte(`[{"measurement":"m","fields":{"a":[1,2],"b":[1,2.5],"c":["x","y"],"d":[true,false],"e":[],"f":[1,"x"],"g":[[1]],"h":1}}]`), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if got := pts[0].String(); got != `m a=[1i,2i],b=[1,2.5],c=["x","y"],d=[true,false],h=1i 1700000000000000000` {
		t.Fatal(got)
	}
	roundTrip(t, pts)
}
