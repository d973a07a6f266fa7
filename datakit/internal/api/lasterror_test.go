package api

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestLastError(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	before := metricValue(t, s, `datakit_last_errors_total{input="ebpf"}`)
	for i := range lastErrorsKept + 5 {
		body := fmt.Sprintf(`{"input":"ebpf","source":"netflow","err_content":"error %d"}`, i)
		if w := serve(s, "POST", "/v1/lasterror", strings.NewReader(body)); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	if got := metricValue(t, s, `datakit_last_errors_total{input="ebpf"}`) - before; got != lastErrorsKept+5 {
		t.Errorf("counted %v", got)
	}
	errs := s.LastErrors()
	if len(errs) != lastErrorsKept || errs[0].ErrContent != "error 5" || errs[len(errs)-1].ErrContent != fmt.Sprintf("error %d", lastErrorsKept+4) {
		t.Fatalf("kept %d, first %+v", len(errs), errs[0])
	}
	w := serve(s, "GET", "/v1/lasterror", nil)
	var got struct{ Content []LastError }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Content) != lastErrorsKept {
		t.Fatalf("%v %d", err, len(got.Content))
	}

	wantError(t, serve(s, "POST", "/v1/lasterror", strings.NewReader(`{"input":"x"}`)), 400, codeInvalidParameter, "err_content")
	wantError(t, serve(s, "POST", "/v1/lasterror", strings.NewReader(`[`)), 400, codeBadBody, "want a JSON object")
	big := `{"input":"x","err_content":"` + strings.Repeat("a", maxLastErrorBytes) + `"}`
	wantError(t, serve(s, "POST", "/v1/lasterror", strings.NewReader(big)), 413, codeBodyTooLarge, "more than the last-error limit (65536)")
	// Without a length to refuse up front: cut at the bound.
	w = serve(s, "POST", "/v1/lasterror", io.MultiReader(strings.NewReader(big)))
	wantError(t, w, 413, codeBodyTooLarge, "body is more than the last-error limit (65536)")
}

// Any client names the input: past maxErrorInputs names, the metric's
// label is (other), so the series stay bounded.
func TestLastErrorLabelsBounded(t *testing.T) {
	l := newInputLabels(3)
	for _, in := range []string{"a", "b", "a", "c"} {
		if got := l.label(in); got != in {
			t.Errorf("label(%q) = %q within the bound", in, got)
		}
	}
	if got := l.label("d"); got != otherInputs {
		t.Errorf("label of a fourth input = %q, want %q", got, otherInputs)
	}
	if got := l.label("b"); got != "b" {
		t.Errorf("a known input past the bound = %q", got)
	}
	long := strings.Repeat("x", 2*maxLabelInputBytes)
	if got := newInputLabels(3).label(long); len(got) != maxLabelInputBytes {
		t.Errorf("long input label %d bytes, want %d", len(got), maxLabelInputBytes)
	}
}
