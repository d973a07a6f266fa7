package service

import (
	"fmt"
	"strings"
)

// Render returns the unit with ExecStart= running binary on confDir and
// ReadWritePaths= opening dataDir. Paths are quoted for systemd.
func Render(binary, confDir, dataDir string) (string, error) {
	for name, p := range map[string]string{"binary": binary, "conf dir": confDir, "data dir": dataDir} {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\n\x00") {
			return "", fmt.Errorf("%s %q must be an absolute path on one line", name, p)
		}
	}
	// systemd refuses executables whose names hold these.
	if strings.ContainsAny(binary, "\"'\\") {
		return "", fmt.Errorf("binary path %q: systemd refuses quotes and backslashes in an executable's path", binary)
	}
	set := map[string]string{
		"ExecStart":      quote(binary, true) + " run --conf-dir " + quote(confDir, true),
		"ReadWritePaths": "-" + quote(dataDir, false),
	}
	lines := strings.SplitAfter(unitTemplate, "\n")
	for i, line := range lines {
		key, _, ok := strings.Cut(line, "=")
		if v, want := set[key]; ok && want {
			lines[i] = key + "=" + v + "\n"
			delete(set, key)
		}
	}
	if len(set) > 0 {
		return "", fmt.Errorf("the embedded unit has no line for %v", set)
	}
	return strings.Join(lines, ""), nil
}

// quote writes one word of a unit file: '%' (specifiers) is escaped, and
// '$' too on Exec lines (variable expansion); a word with spaces, quotes or
// backslashes is double-quoted with C-style escapes.
func quote(s string, exec bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if exec {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
