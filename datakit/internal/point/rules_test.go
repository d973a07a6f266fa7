package point

import (
	"errors"
	"strings"
	"testing"
)

// TestCategoryRules: DataKit's fixes per category, on both decoders, and
// under strict the same points refused with DataKit's warning.
func TestCategoryRules(t *testing.T) {
	for _, tc := range []struct {
		name, category, lp, json string
		want                     string // the fixed point
		warning                  string // under strict
	}{
		{"metric drops strings", "metric", `m,t=1 f=1i,s="x"`, `{"measurement":"m","tags":{"t":"1"},"fields":{"f":1,"s":"x"}}`,
			"m,t=1 f=1i", "invalid_field_value_type: field(s) dropped"},
		{"metric keeps dots", "metric", `m,a.b=1 c.d=1i`, `{"measurement":"m","tags":{"a.b":"1"},"fields":{"c.d":1}}`,
			"m,a.b=1 c.d=1i", ""},
		{"log gets status", "logging", `l message="hi"`, `{"measurement":"l","fields":{"message":"hi"}}`,
			`l message="hi",status="info"`, `add_required_kv: add required key-value "status": "info"`},
		{"log status as tag", "logging", `l,status=warn message="hi"`, `{"measurement":"l","tags":{"status":"warn"},"fields":{"message":"hi"}}`,
			`l,status=warn message="hi"`, ""},
		{"log dotted tag", "logging", `l,k.a=1,status=ok m="x"`, `{"measurement":"l","tags":{"k.a":"1","status":"ok"},"fields":{"m":"x"}}`,
			`l,k_a=1,status=ok m="x"`, "invalid_tag_key: invalid tag key `k.a': found `.'"},
		{"log dotted field", "logging", `l,status=ok a.b.c=1i`, `{"measurement":"l","tags":{"status":"ok"},"fields":{"a.b.c":1}}`,
			`l,status=ok a_b_c=1i`, "dot_in_key: invalid field key `a.b.c': found `.'"},
		{"dotted key taken", "logging", `l,status=ok a.b=1i,a_b=2i`, `{"measurement":"l","tags":{"status":"ok"},"fields":{"a.b":1,"a_b":2}}`,
			`l,status=ok a_b=2i`, "dot_in_key"},
		{"log disabled keys", "logging", `l,source=s,status=ok date=1i,f=1i`, `{"measurement":"l","tags":{"source":"s","status":"ok"},"fields":{"date":1,"f":1}}`,
			`l,status=ok f=1i`, `tag_disabled: tag key "source" disabled`},
		{"object gets name", "object", `o,host=a cpus=4i`, `{"measurement":"o","tags":{"host":"a"},"fields":{"cpus":4}}`,
			`o,host=a cpus=4i,name="default"`, `add_required_kv: add required key-value "name": "default"`},
		{"object dotted, class", "object", `o,name=n,class=c k.8s=1i`, `{"measurement":"o","tags":{"name":"n","class":"c"},"fields":{"k.8s":1}}`,
			`o,name=n k_8s=1i`, "tag_disabled"},
		{"network has no rules", "network", `n,a.b=1 s="x"`, `{"measurement":"n","tags":{"a.b":"1"},"fields":{"s":"x"}}`,
			`n,a.b=1 s="x"`, ""},
		{"custom_object has no rules", "custom_object", `c k.a=1i`, `{"measurement":"c","fields":{"k.a":1}}`, `c k.a=1i`, ""},
		{"same key tag and field", "network", `n,a=1 a=1i`, `{"measurement":"n","tags":{"a":"1"},"fields":{"a":1}}`,
			`n,a=1 a=1i`, `key_name_conflict: same key ("a")`},
	} {
		for _, format := range []string{"lp", "json"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				decode := func(strict bool) ([]*Point, error) {
					opt := Options{Category: tc.category, Strict: strict, Now: testNow}
					if format == "json" {
						return DecodeJSONBytes([]byte("["+tc.json+"]"), opt)
					}
					return DecodeLPBytes([]byte(tc.lp), opt)
				}
				pts, err := decode(false)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.TrimSuffix(pts[0].String(), " 1700000000000000000"); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
				_, err = decode(true)
				var pe *Error
				switch {
				case tc.warning == "" && err != nil:
					t.Fatalf("strict: %v", err)
				case tc.warning == "":
				case !errors.As(err, &pe) || pe.Kind != Warning || !strings.Contains(pe.Msg, tc.warning):
					t.Fatalf("strict: got %v, want warning %q", err, tc.warning)
				}
			})
		}
	}
}

func TestRulesOnTranscode(t *testing.T) {
	var fixes []string
	opt := Options{Category: "logging", Now: testNow, OnFix: func(w string) { fixes = append(fixes, w) }}
	out, n, err := TranscodeLP(nil, []byte("l,a.b=1 message=\"x\" 1\nl,status=ok message=\"y\" 1\n"), opt, []Tag{{"host", "h"}})
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	want := "l,a_b=1,host=h message=\"x\",status=\"info\" 1000000000\nl,host=h,status=ok message=\"y\" 1000000000\n"
	if string(out) != want || strings.Join(fixes, " ") != "invalid_tag_key add_required_kv" {
		t.Fatalf("got %q, fixes %v", out, fixes)
	}
	_, err = DecodeLPBytes([]byte("m,t=1,t=2 f=1"), Options{Strict: true})
	if err == nil || !strings.Contains(err.Error(), `line 1, key "t": key_name_conflict`) {
		t.Fatalf("duplicate tag under strict: %v", err)
	}
}

func TestRulesEmptyMetric(t *testing.T) {
	_, err := DecodeLPBytes([]byte("m f=1\nm s=\"x\"\n"), Options{Category: "metric"})
	if err == nil || !strings.Contains(err.Error(), "line 2: no fields left") {
		t.Fatal(err)
	}
}

func TestJSONNullsAndDefaults(t *testing.T) {
	pts, err := DecodeJSONBytes([]byte(`[{"fields":{"f":1,"n":null,"o":{"a":1}},"tags":{"":"x"}}]`), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if got := pts[0].String(); got != "__default f=1i 1700000000000000000" {
		t.Fatal(got)
	}
	for body, warning := range map[string]string{
		`[{"fields":{"f":1}}]`:                                   "invalid_measurement: empty measurement, use __default",
		`[{"measurement":"m","fields":{"f":1,"n":null}}]`:        "nil_field: nil field(n): null",
		`[{"measurement":"m","tags":{"":"x"},"fields":{"f":1}}]`: "tag_disabled: empty tag key disabled",
	} {
		_, err := DecodeJSONBytes([]byte(body), Options{Strict: true})
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != Warning || !strings.Contains(pe.Msg, warning) {
			t.Errorf("%s: got %v, want %q", body, err, warning)
		}
	}
}

func TestMessageLimit(t *testing.T) {
	lim := Limits{MaxValueBytes: 8, MaxPointBytes: 64, MaxMessageBytes: 100}
	msg := strings.Repeat("x", 90)
	if _, err := DecodeLPBytes([]byte(`l message="`+msg+`"`), Options{Limits: lim}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeJSONBytes([]byte(`[{"measurement":"l","fields":{"message":"`+msg+`"}}]`), Options{Limits: lim}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`l message="` + msg + `xxxxxxxxxxx"`, `l other="` + msg + `"`} {
		_, err := DecodeLPBytes([]byte(body), Options{Limits: lim})
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != Limit {
			t.Errorf("%.20s: got %v", body, err)
		}
	}
	if DefaultLimits.MaxMessageBytes != 32<<20 || DefaultLimits.MaxValueBytes != 64<<10 {
		t.Fatalf("defaults %+v", DefaultLimits)
	}
}
