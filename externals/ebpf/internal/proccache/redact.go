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
const secretKey = `[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|signature|sessionid|session[-_]id)[\w.-]*`

// authScheme is an Authorization header's scheme, kept before its ***.
const authScheme = `((?:basic|bearer|digest|negotiate|ntlm|token|aws4-hmac-sha256)\s+)?`

// secretHeaderName is a header whose value is a credential.
const secretHeaderName = `((?:proxy-)?authorization|(?:set-)?cookie2?|` + secretKey + `)(\s*:\s*)`

var (
	// A credential header as an argument of its own ("Cookie: a=b" after
	// curl -H, httpie's "Authorization:Bearer x") or glued to its flag
	// (-HCookie:..., --header=...): the whole value goes.
	secretHeaderArg = regexp.MustCompile(`(?i)^(-H|--header=)?` + secretHeaderName + authScheme + `(\S.*)`)
	// The same inside a shell command line (sh -c "curl -H 'Cookie: a=b'
	// ..."): the value goes up to the closing quote.
	secretHeaderInline = regexp.MustCompile(`(?i)([\s'"])` + secretHeaderName + authScheme + `([^\s'"][^'"\r\n]*)`)
	// key=value and "key: value" inside one argument: URL query parameters,
	// libpq conninfo (password='a b'), JSON ("token": "x").
	secretAssign = regexp.MustCompile(`(?i)(` + secretKey + `)("?(?:=|:\s*)"?)` + authScheme + `('[^']*'|[^&\s;'"]+)`)
	// --password value, -token value: the value is the next argument.
	secretFlag = regexp.MustCompile(`(?i)^--?` + secretKey + `$`)
	// scheme://user:password@host (postgresql://, redis://, mysql://,
	// https://): the user stays.
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^/:@\s'"]*):[^/\s'"]*@`)
)

// FormatArgs renders argv without argv[0] for the process_args tag: values
// that look like secrets replaced by ***, and at most ArgsLimit bytes
// (cut on a rune boundary, "..." appended). cut says the kernel already
// truncated argv.
func FormatArgs(argv []string, cut bool) string {
	if len(argv) <= 1 {
		return ""
	}
	out := make([]string, 0, len(argv)-1)
	flags := clientFlags[filepath.Base(argv[0])]
	var next flagKind // how the previous argument says to redact this one
	n := 0
	for i := 1; i < len(argv); i++ {
		a, k := argv[i], next
		next = 0
		flag := gluedValue(flags, a)
		switch {
		case k != 0 && (k != nextArg || !strings.HasPrefix(a, "-")):
			a = k.redact(a) // (a generic secret flag followed by a flag took no value)
		case flags[a] != 0 && flags[a] != glued:
			next = flags[a]
		case flag != "":
			a = flag + flags[strings.TrimSuffix(flag, "=")].redact(a[len(flag):])
		case secretHeaderArg.MatchString(a):
			a = secretHeaderArg.ReplaceAllString(a, "${1}${2}${3}${4}"+redacted)
		default:
			if secretFlag.MatchString(a) && !strings.HasPrefix(a, "--no-") { // --no-auth-warning takes no value
				next = nextArg
			}
			a = urlUserinfo.ReplaceAllString(a, "${1}:"+redacted+"@")
			a = secretHeaderInline.ReplaceAllString(a, "${1}${2}${3}${4}"+redacted)
			a = secretAssign.ReplaceAllString(a, "${1}${2}${3}"+redacted)
		}
		out = append(out, a)
		if n += len(a) + 1; n > ArgsLimit {
			break // the rest would be cut off
		}
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
