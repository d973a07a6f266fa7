package filter

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runTool(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunTool(args, &out, &errb)
	return code, out.String(), errb.String()
}

const seedRules = "udp\nip_saddr == \"1.1.1.1\" && (src_port == 80 || dst_port == 80);\nipnet_contains(\"127.0.0.0/8\", ip_saddr); ipv6"

func TestRunTool(t *testing.T) {
	file := filepath.Join(t.TempDir(), "blacklist.rules")
	if err := os.WriteFile(file, []byte(seedRules), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.rules")
	if err := os.WriteFile(bad, []byte("tcp\nsrc_prot == 80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // exact
		stderrHas  string
		stderrNone bool
	}{
		{"drop", []string{"--rules", seedRules, "--record", `{"ip_saddr":"1.1.1.1","dst_port":80,"tcp":true}`}, 0,
			"drop 1 (rule at rules:2:1: ip_saddr == \"1.1.1.1\" && (src_port == 80 || dst_port == 80))\n", "", true},
		{"drop by CIDR", []string{"--rules", seedRules, "--record", `{"ip_saddr":"127.0.0.53"}`}, 0,
			"drop 2 (rule at rules:3:1: ipnet_contains(\"127.0.0.0/8\", ip_saddr))\n", "", true},
		{"README example", []string{"--rules", `udp; ipnet_contains("127.0.0.0/8", ip_saddr)`, "--record", `{"ip_saddr":"127.0.0.53"}`}, 0,
			"drop 1 (rule at rules:1:6: ipnet_contains(\"127.0.0.0/8\", ip_saddr))\n", "", true},
		{"keep", []string{"--rules", seedRules, "--record", `{"tcp":true,"ipv4":true,"src_port":80,"ip_saddr":"10.0.0.1"}`}, 0, "keep\n", "", true},
		{"single-dash flags", []string{"-rules", "tcp", "-record", `{"tcp":true}`}, 0, "drop 0 (rule at rules:1:1: tcp)\n", "", true},
		{"rules file", []string{"--rules-file", file, "--record", `{"ipv6":true}`}, 0,
			"drop 3 (rule at " + file + ":3:42: ipv6)\n", "", true},
		{"check", []string{"--rules", seedRules, "--check"}, 0, "ok: 4 rules\n", "", true},
		{"check file", []string{"--rules-file", file, "--check"}, 0, "ok: 4 rules\n", "", true},
		{"check empty", []string{"--rules", " ;\n", "--check"}, 0, "ok: 0 rules\n", "", true},

		{"bad rules", []string{"--rules", "tcp && src_prot == 80", "--record", `{}`}, 1, "",
			"rules:1:8: unknown field src_prot (did you mean src_port?)\n    tcp && src_prot == 80\n           ^\n", false},
		{"bad rules --check", []string{"--rules", "tcp &&", "--check"}, 1, "", "rules:1:7: expected an operand after '&&'", false},
		{"bad rules file", []string{"--rules-file", bad, "--check"}, 1, "", bad + ":2:1: unknown field src_prot", false},
		{"several errors", []string{"--rules", "a; b", "--check"}, 1, "", "rules:1:1: unknown field a\n    a; b\n    ^\nrules:1:4: unknown field b\n", false},
		{"missing file", []string{"--rules-file", filepath.Join(t.TempDir(), "nope"), "--check"}, 1, "", "no such file", false},
		{"bad record JSON", []string{"--rules", "tcp", "--record", `{"tcp":`}, 1, "", "--record: record: unexpected EOF", false},
		{"record field unknown", []string{"--rules", "tcp", "--record", `{"src_prot":1}`}, 1, "", `unknown field "src_prot" (did you mean src_port?)`, false},
		{"record field type", []string{"--rules", "tcp", "--record", `{"src_port":"80"}`}, 1, "", `field "src_port" must be int, got string`, false},

		{"no rules", []string{"--check"}, 2, "", "give exactly one of --rules and --rules-file", false},
		{"both rules", []string{"--rules", "tcp", "--rules-file", file, "--check"}, 2, "", "give exactly one of --rules and --rules-file", false},
		{"neither record nor check", []string{"--rules", "tcp"}, 2, "", "give exactly one of --record and --check", false},
		{"record and check", []string{"--rules", "tcp", "--check", "--record", "{}"}, 2, "", "give exactly one of --record and --check", false},
		{"extra argument", []string{"--rules", "tcp", "--check", "x"}, 2, "", `unexpected argument "x"`, false},
		{"unknown flag", []string{"--rule", "tcp"}, 2, "", "flag provided but not defined: -rule", false},
		{"help", []string{"--help"}, 0, "", "usage: datakit tool filter", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTool(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			if tt.stderrNone && stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderrHas)
			}
		})
	}
}

func TestParseRecord(t *testing.T) {
	r, err := ParseRecord(Netlog, []byte(`{"tcp":true,"src_port":443,"dst_port":9007199254740993,"ip_saddr":"10.0.0.1","k8s_src_pod":"web"}`))
	if err != nil {
		t.Fatal(err)
	}
	idx := func(name string) int { i, _ := Netlog.Index(name); return i }
	if !r.Bool(idx("tcp")) || r.Bool(idx("udp")) {
		t.Error("bools")
	}
	if r.Int(idx("src_port")) != 443 || r.Int(idx("dst_port")) != 9007199254740993 || r.Int(idx("tcp")) != 0 {
		t.Error("ints: big integers must stay exact, wrong kinds read as 0")
	}
	if r.Str(idx("ip_saddr")) != "10.0.0.1" || r.Str(idx("ip6_saddr")) != "" {
		t.Error("strings")
	}

	for _, tt := range []struct{ in, err string }{
		{`null`, "want a JSON object, got null"},
		{`[1]`, "cannot unmarshal array"},
		{`{} x`, "unexpected data after the JSON object"},
		{`{"src_port":1.5}`, `field "src_port" must be int, got number 1.5`},
		{`{"src_port":1e30}`, `field "src_port" must be int, got number 1e30`},
		{`{"tcp":1}`, `field "tcp" must be bool, got number 1`},
		{`{"ip_saddr":null}`, `field "ip_saddr" must be string, got null`},
		{`{"ip_saddr":["a"]}`, `field "ip_saddr" must be string, got array`},
		{`{"ipv4":{}}`, `field "ipv4" must be bool, got object`},
		{`{"zzz":1,"aaa":2}`, `unknown field "aaa"`}, // reported in name order
	} {
		if _, err := ParseRecord(Netlog, []byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseRecord(%s) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// MapRecord reads the Go types a caller may put in the map.
func TestMapRecordTypes(t *testing.T) {
	i, _ := Netlog.Index("src_port")
	for _, v := range []any{int(7), int64(7), int32(7), uint16(7), uint32(7), float64(7)} {
		if got := (MapRecord{Schema: Netlog, Values: M{"src_port": v}}).Int(i); got != 7 {
			t.Errorf("%T: Int = %d", v, got)
		}
	}
	if got := (MapRecord{Schema: Netlog, Values: M{"src_port": 7.5}}).Int(i); got != 0 {
		t.Errorf("7.5: Int = %d, want 0", got)
	}
}
