package child

import (
	"log/slog"
	"strings"
	"testing"
)

func TestForwardLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+5000)
	cases := []struct {
		name, in string
		want     []string
	}{
		{"plain", "a\nb\n", []string{"a", "b"}},
		{"no final newline", "a\nb", []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
		{"empty lines kept", "a\n\nb\n", []string{"a", "", "b"}},
		{"over-long line truncated, next line intact", long + "\nnext\n",
			[]string{strings.Repeat("x", maxLine) + " …[line truncated]", "next"}},
		{"empty input", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			forwardLines(strings.NewReader(c.in), func(s string) { got = append(got, s) })
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Errorf("got %d lines %.80q, want %d %.80q", len(got), got, len(c.want), c.want)
			}
		})
	}
}

func TestLineLevel(t *testing.T) {
	cases := map[string]slog.Level{
		`time=2025-01-01T00:00:00Z level=ERROR msg="attach failed"`: slog.LevelError,
		`time=x level=WARN msg=slow`:                                slog.LevelWarn,
		`level=DEBUG msg=x`:                                         slog.LevelDebug,
		`level=INFO msg=x`:                                          slog.LevelInfo,
		`{"time":"x","level":"ERROR","msg":"boom"}`:                 slog.LevelError,
		`{"level":"warn","msg":"w"}`:                                slog.LevelWarn,
		`panic: runtime error`:                                      slog.LevelInfo,
		`level=`:                                                    slog.LevelInfo,
	}
	for line, want := range cases {
		if got := lineLevel(line); got != want {
			t.Errorf("lineLevel(%q) = %v, want %v", line, got, want)
		}
	}
}

func FuzzForwardLines(f *testing.F) {
	for _, s := range []string{"a\nb", "\r\n\r\n", strings.Repeat("y", maxLine+1) + "\nz", "level=ERROR\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		total := 0
		forwardLines(strings.NewReader(in), func(s string) {
			if len(s) > maxLine+len(" …[line truncated]") {
				t.Fatalf("line of %d bytes exceeds the bound", len(s))
			}
			if strings.Contains(s, "\n") {
				t.Fatalf("line %q holds a newline", s)
			}
			lineLevel(s)
			total++
		})
		if want := strings.Count(in, "\n"); total < want {
			t.Fatalf("%d lines forwarded, input has %d newlines", total, want)
		}
	})
}
