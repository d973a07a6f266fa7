package ebpf

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// envTable renders the variables as the README's Markdown table.
func envTable() string {
	var b strings.Builder
	b.WriteString("| Variable | Option | Example | Description |\n|---|---|---|---|\n")
	for _, v := range New().EnvVars() {
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", v.Name, v.Option,
			strings.ReplaceAll(v.Example, "|", `\|`), v.Doc)
	}
	return b.String()
}

// TestREADMEEnvTable keeps README.md's table equal to the code's list; set
// UPDATE_README=1 to rewrite it.
func TestREADMEEnvTable(t *testing.T) {
	const begin, end = "<!-- env table: generated from env.go by TestREADMEEnvTable -->\n", "<!-- end env table -->"
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := envTable()
	if got := doc[i+len(begin) : j]; got != want {
		if os.Getenv("UPDATE_README") != "" {
			if err := os.WriteFile("README.md", []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's environment table is stale (UPDATE_README=1 go test ./inputs/ebpf rewrites it); want:\n%s", want)
	}
}
