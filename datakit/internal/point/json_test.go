package point

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSON(t *testing.T) {
	body := `[
	 {"measurement":"cpu","tags":{"host":"a","cpu":"0"},"fields":{"usage":1.5,"n":3,"big":18446744073709551615,"ok":true,"s":"x"},"time":1700000000},
	 {"measurement":"mem","fields":{"free":1e3},"time":"2023-11-14T22:13:20Z"},
	 {"measurement":"disk","fields":{"x":1}}
	]`
	pts, err := DecodeJSONBytes([]byte(body), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	want := []*Point{
		{Name: "cpu", Tags: []Tag{{"cpu", "0"}, {"host", "a"}}, Fields: []Field{
			{Key: "big", Value: mustValue(uint64(18446744073709551615))}, {Key: "n", Value: mustValue(int64(3))}, {Key: "ok", Value: mustValue(true)},
			{Key: "s", Value: mustValue("x")}, {Key: "usage", Value: mustValue(1.5)},
		}, Time: time.Unix(1_700_000_000, 0)},
		{Name: "mem", Fields: []Field{{Key: "free", Value: mustValue(1000.0)}}, Time: time.Unix(1_700_000_000, 0)},
		{Name: "disk", Fields: []Field{{Key: "x", Value: mustValue(int64(1))}}, Time: testNow},
	}
	if d := samePoints(pts, want); d != "" {
		t.Fatal(d)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	ok := `{"measurement":"m","fields":{"f":1}}`
	for _, tc := range []struct {
		name, body string
		kind       ErrorKind
		msg        string
	}{
		{"not array", `{"measurement":"m"}`, Syntax, "body: want a JSON array"},
		{"syntax", "[" + ok + ",\n{\"measurement\":}]", Syntax, "point 1: invalid JSON at line 2, column 16"},
		{"wrong type", "[" + ok + `,{"measurement":5}]`, Syntax, `point 1, key "measurement": want string`},
		{"unknown key", `[{"measurement":"m","fieldz":{}}]`, Syntax, `point 0: unknown field "fieldz"`},
		{"tag type", "[" + ok + "," + ok + `,{"measurement":"m","tags":{"t":1},"fields":{"f":1}}]`, Syntax, `point 2, key "tags.t": tag value must be a string`},
		{"only null fields", `[{"measurement":"m","fields":{"f":null,"g":{}}}]`, Syntax, `point 0: no fields left once null and unsupported values are dropped`},
		{"no fields", `[{"measurement":"m"}]`, Syntax, `point 0: no fields`},
		{"comment name", `[{"measurement":"#m","fields":{"f":1}}]`, Syntax, `starts with '#'`},
		{"control char", `[{"measurement":"m","tags":{"t":"a\nb"},"fields":{"f":1}}]`, Syntax, `key "t": control character`},
		{"invalid utf8", "[" + ok + ",\n{\"measurement\":\"\xff\"}]", Syntax, "body: invalid UTF-8 at line 2, column 17"},
		{"trailing backslash", `[{"measurement":"m","tags":{"t":"a\\"},"fields":{"f":1}}]`, Syntax, `key "t": tag value ends with a backslash`},
		{"float time", `[{"measurement":"m","fields":{"f":1},"time":1.5}]`, Syntax, `key "time": time must be an integer`},
		{"trailing", "[" + ok + "] x", Syntax, "unexpected data after the array"},
		{"truncated", "[" + ok, Syntax, "point 1: unexpected end of JSON"},
		{"too many tags", `[{"measurement":"m","tags":{"a":"1","b":"2"},"fields":{"f":1}}]`, Limit, `point 0, key "b": more than 1 tags`},
		{"long value", `[{"measurement":"m","fields":{"f":"12345678901234567890"}}]`, Limit, `key "f": value is 20 bytes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeJSONBytes([]byte(tc.body), Options{Limits: Limits{MaxTags: 1, MaxValueBytes: 16}})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want *Error", err)
			}
			if pe.Kind != tc.kind || !strings.Contains(pe.Error(), tc.msg) {
				t.Fatalf("got kind %d %q, want kind %d containing %q", pe.Kind, pe.Error(), tc.kind, tc.msg)
			}
		})
	}
}
