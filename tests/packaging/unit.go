// Package packaging tests the installable package: it builds the .deb with
// `make package`, installs it into a scratch root with dpkg, and runs the
// installed systemd unit's command the way systemd would (sandbox.go).
package packaging

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Unit is the part of a systemd service unit the sandbox honours. Keys are
// kept as written, repeated keys appended (systemd's list semantics; an
// empty assignment resets the list).
type Unit struct {
	keys map[string][]string // "Service.ExecStart" -> values
}

// ParseUnit reads a unit file: [Section] headers, Key=Value lines, '#' and
// ';' comments, trailing-backslash continuations.
func ParseUnit(path string) (*Unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u := &Unit{keys: map[string][]string{}}
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, pending = pending+line, ""
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("%s:%d: not Key=Value in a section: %q", path, n, line)
			}
			k = section + "." + strings.TrimSpace(k)
			if v = strings.TrimSpace(v); v == "" {
				delete(u.keys, k)
				continue
			}
			u.keys[k] = append(u.keys[k], v)
		}
	}
	return u, sc.Err()
}

// Get is the last value of section.key ("" when unset).
func (u *Unit) Get(key string) string {
	v := u.keys[key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// List is every word of every value of key, for list settings such as
// CapabilityBoundingSet= and ReadWritePaths=.
func (u *Unit) List(key string) []string {
	var out []string
	for _, v := range u.keys[key] {
		out = append(out, splitWords(v)...)
	}
	return out
}

// Environment is Service.Environment= as KEY=VALUE strings.
func (u *Unit) Environment() []string { return u.List("Service.Environment") }

// ExecStart is the command line, split as systemd splits it (quotes,
// no shell); a leading '-', '@', '+', '!' or ':' prefix is refused rather
// than ignored, because each changes how the command runs.
func (u *Unit) ExecStart() ([]string, error) {
	line := u.Get("Service.ExecStart")
	if line == "" {
		return nil, fmt.Errorf("no ExecStart=")
	}
	if strings.ContainsAny(line[:1], "-@+!:") {
		return nil, fmt.Errorf("ExecStart= prefix %q is not supported by the sandbox", line[:1])
	}
	return splitWords(line), nil
}

func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	quote, in := byte(0), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote, in = c, true
		case quote == 0 && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
