package proccache

import (
	"path/filepath"
	"regexp"
	"strings"
)

// ArgsLimit bounds the process_args tag: a tag value is a series key, and
// a command line can be megabytes.
const ArgsLimit = 256

const redacted = "***"

// secretKey is a name that announces a secret value.
const secretKey = `[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth)[\w.-]*`

var (
	// key=value and "key: value" inside one argument (also URL query
	// parameters and HTTP headers given to curl -H).
	secretAssign = regexp.MustCompile(`(?i)(` + secretKey + `)(=|:\s*)((?:bearer|basic)\s+)?([^&\s;]+)`)
	// --password value, -token value: the value is the next argument.
	secretFlag = regexp.MustCompile(`(?i)^--?` + secretKey + `$`)
	// scheme://user:password@host
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^/:@\s]*):[^@/\s]*@`)
)

// mysqlLike clients take the password glued to -p (-pSECRET).
var mysqlLike = map[string]bool{"mysql": true, "mariadb": true, "mysqldump": true, "mysqladmin": true, "mariadb-dump": true}

// FormatArgs renders argv without argv[0] for the process_args tag: values
// that look like secrets replaced by ***, and at most ArgsLimit bytes
// (cut on a rune boundary, "..." appended). cut says the kernel already
// truncated argv.
func FormatArgs(argv []string, cut bool) string {
	if len(argv) <= 1 {
		return ""
	}
	out := make([]string, 0, len(argv)-1)
	mysql := mysqlLike[filepath.Base(argv[0])]
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case i > 1 && secretFlag.MatchString(argv[i-1]) && !strings.HasPrefix(a, "-"):
			a = redacted
		case mysql && strings.HasPrefix(a, "-p") && len(a) > 2 && !strings.HasPrefix(a, "-p="):
			a = "-p" + redacted
		default:
			a = urlUserinfo.ReplaceAllString(a, "${1}:"+redacted+"@")
			a = secretAssign.ReplaceAllString(a, "${1}${2}${3}"+redacted)
		}
		out = append(out, a)
	}
	s := strings.Join(out, " ")
	if len(s) > ArgsLimit || cut {
		s = cutRunes(s, ArgsLimit-3) + "..."
	}
	return s
}

func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
