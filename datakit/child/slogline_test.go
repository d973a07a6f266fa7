package child

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// degraded writes the collector's degraded-mode warning with handler h,
// as datakit-ebpf's logger does (service attached with With).
func degraded(h slog.Handler) string {
	log := slog.New(h).With("service", "ebpf")
	log.Warn("ebpf-net: degraded", "hook", "socket sends", "without it", "no UDP flows",
		"err", errors.New(`attach "on_sock_send_length": operation not permitted`+"\nsecond line"),
		slog.Group("probe", "kind", "tp_btf", "tries", 2))
	return ""
}

func slogLines(t *testing.T) map[string]string {
	var text, js bytes.Buffer
	degraded(slog.NewTextHandler(&text, nil))
	degraded(slog.NewJSONHandler(&js, nil))
	return map[string]string{"text": strings.TrimSuffix(text.String(), "\n"), "json": strings.TrimSuffix(js.String(), "\n")}
}

// The warning keeps its level, message and every attribute, in both of
// slog's formats, tagged with the child's name, stream and pid.
func TestRelayKeepsSlogFields(t *testing.T) {
	for format, line := range slogLines(t) {
		log, c := newCapture()
		relay(log, "ebpf", "stderr", 42, line)
		recs := c.matching("")
		if len(recs) != 1 {
			t.Fatalf("%s: %d records", format, len(recs))
		}
		r := recs[0]
		if r.level != slog.LevelWarn || r.msg != "ebpf: ebpf-net: degraded" {
			t.Errorf("%s: level %v msg %q", format, r.level, r.msg)
		}
		want := map[string]string{"stream": "stderr", "pid": "42", "service": "ebpf", "hook": "socket sends",
			"without it": "no UDP flows", "err": `attach "on_sock_send_length": operation not permitted` + "\nsecond line",
			"probe.kind": "tp_btf", "probe.tries": "2"}
		for k, v := range want {
			if r.attrs[k] != v {
				t.Errorf("%s: %s = %q, want %q (line %s)", format, k, r.attrs[k], v, line)
			}
		}
		if len(r.attrs) != len(want) {
			t.Errorf("%s: attrs %v, want %v", format, r.attrs, want)
		}
	}
}

// Through the supervisor's own text handler the warning reads as one
// record whose fields are fields, not one escaped nested line.
func TestRelayedWarningIsReadable(t *testing.T) {
	var out bytes.Buffer
	relay(slog.New(slog.NewTextHandler(&out, nil)), "ebpf", "stderr", 42, slogLines(t)["text"])
	got := out.String()
	for _, want := range []string{` level=WARN msg="ebpf: ebpf-net: degraded" stream=stderr pid=42 service=ebpf hook="socket sends" "without it"="no UDP flows" err=`} {
		if !strings.Contains(got, want) {
			t.Errorf("supervisor's line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, `level=WARN msg=\"`) || strings.Count(got, "level=") != 1 {
		t.Errorf("the child's record is nested in ours: %q", got)
	}
}

// Lines that are not slog's are relayed whole, as text.
func TestRelayPlainLines(t *testing.T) {
	for line, level := range map[string]slog.Level{
		"panic: runtime error":                            slog.LevelInfo,
		"level=WARN msg=fake collector exiting":           slog.LevelWarn, // bare words after msg: not slog's
		`time=x level=ERROR msg="unterminated`:            slog.LevelError,
		`level=WARN`:                                      slog.LevelWarn, // no msg
		`level=LOUD msg=x`:                                slog.LevelInfo, // no such level
		`{"level":"WARN","msg":"x"} trailing`:             slog.LevelWarn,
		`{"level":"WARN"}`:                                slog.LevelWarn,
		`datakit-ebpf: plugin "x" is not implemented yet`: slog.LevelInfo,
		"a=b  c=d": slog.LevelInfo,
		"":         slog.LevelInfo,
	} {
		log, c := newCapture()
		relay(log, "ebpf", "stderr", 1, line)
		r := c.matching("")[0]
		if r.msg != "ebpf: "+line || r.level != level {
			t.Errorf("%q: relayed as %v %q", line, r.level, r.msg)
		}
	}
}

// The real collector: datakit-ebpf run logs a warning, then exits on a
// plugin it does not have; its warning arrives as the record it wrote.
func TestRelayRealCollector(t *testing.T) {
	// (tests/testenv imports this package, so its Binary is out of reach)
	bin := filepath.Join(t.TempDir(), "datakit-ebpf")
	build := exec.Command("go", "build", "-o", bin, "./externals/ebpf")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	log, c := newCapture()
	p, err := Start(context.Background(), Spec{Name: "ebpf", Path: bin, Log: log,
		Args:       []string{"run", "--output", "/dev/null", "--enabled", "ebpf-trace", "--l7net-enabled", "httpflow-tls"},
		MinBackoff: time.Minute, StopTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	eventually(t, 20*time.Second, "the collector's warning and its exit", func() bool {
		return len(c.matching("ebpf: l7net-enabled")) > 0 && len(c.matching("ebpf: datakit-ebpf: plugin")) > 0
	})
	r := c.matching("ebpf: l7net-enabled")[0]
	if r.msg != "ebpf: l7net-enabled: httpflow-tls is not implemented yet; plaintext httpflow only" ||
		r.level != slog.LevelWarn || r.attrs["service"] != "ebpf" || r.attrs["stream"] != "stderr" || r.attrs["time"] != "" {
		t.Errorf("relayed as %v %q %v", r.level, r.msg, r.attrs)
	}
}

// Whatever attribute slog's handlers write, it parses back to its key
// and value.
func FuzzParseLine(f *testing.F) {
	f.Add("hook", "socket sends")
	f.Add("without it", `a "quoted" value`+"\n")
	f.Add("k=v", "")
	f.Add("msg", "level=ERROR")
	f.Add("x", "\xff\x00")
	f.Fuzz(func(t *testing.T, key, value string) {
		if key == "" {
			return // slog drops attributes without a key
		}
		var text, js bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Info("m s", key, value)
		slog.New(slog.NewJSONHandler(&js, nil)).Info("m s", key, value)
		for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
			line := strings.TrimSuffix(out, "\n")
			r, ok := parseLine(line)
			if !ok {
				t.Fatalf("%s: %q does not parse", name, line)
			}
			if r.msg != "m s" || r.level != slog.LevelInfo || len(r.attrs) == 0 {
				t.Fatalf("%s: %q parsed as %+v", name, line, r)
			}
			a := r.attrs[len(r.attrs)-1]
			if name == "text" && (a.Key != key || a.Value.String() != value) {
				t.Fatalf("text: %q parsed as %q=%q, want %q=%q", line, a.Key, a.Value.String(), key, value)
			}
		}
	})
}
