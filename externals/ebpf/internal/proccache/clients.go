package proccache

import "strings"

// flagKind says how much of a client flag's value is a credential.
type flagKind uint8

const (
	secretValue flagKind = iota + 1 // all of it: redis-cli -a SECRET
	userPass                        // what follows the first colon: curl -u user:SECRET
	cookieData                      // all of it when it is name=value, not a file: curl -b
	glued                           // all of it, only when glued to the flag: mysql -pSECRET
	nextArg                         // all of it, unless it is a flag: --password SECRET
)

func (k flagKind) redact(v string) string {
	switch k {
	case userPass:
		if user, _, ok := strings.Cut(v, ":"); ok {
			return user + ":" + redacted
		}
		return v // curl prompts for the password
	case cookieData:
		if !strings.Contains(v, "=") {
			return v // a cookie file
		}
	}
	return redacted
}

// clientFlags lists, per client (argv[0]'s base name), the flags whose
// value is a credential in a shape the generic rules of FormatArgs do not
// see: a short flag, or a user:password pair whose user is worth keeping.
// Values go in the next argument or glued (-aX, --pass=X).
var clientFlags = func() map[string]map[string]flagKind {
	curl := map[string]flagKind{
		"-u": userPass, "--user": userPass, "-U": userPass, "--proxy-user": userPass,
		"-E": userPass, "--cert": userPass, "--proxy-cert": userPass, // file:password
		"-b": cookieData, "--cookie": cookieData, "--oauth2-bearer": secretValue,
	}
	wget := map[string]flagKind{
		"--password": secretValue, "--http-password": secretValue,
		"--ftp-password": secretValue, "--proxy-password": secretValue,
	}
	httpie := map[string]flagKind{"-a": userPass, "--auth": userPass}
	redis := map[string]flagKind{"-a": secretValue, "--pass": secretValue}
	// mysql -p alone prompts, and the next argument is the database.
	mysql := map[string]flagKind{"-p": glued, "--password": glued}
	mongo := map[string]flagKind{"-p": secretValue, "--password": secretValue}
	m := map[string]map[string]flagKind{
		"curl": curl, "wget": wget, "http": httpie, "https": httpie, "httpie": httpie,
		"sshpass": {"-p": secretValue},
	}
	for _, c := range []string{"redis-cli", "valkey-cli", "keydb-cli"} {
		m[c] = redis
	}
	for _, c := range []string{"mysql", "mariadb", "mysqldump", "mysqladmin", "mariadb-dump", "mariadb-admin"} {
		m[c] = mysql
	}
	for _, c := range []string{"mongo", "mongosh", "mongodump", "mongorestore"} {
		m[c] = mongo
	}
	return m
}()

// gluedValue returns the flag of a, when a is one of flags with its value
// glued ("-aX", "--pass=X"; the "=" is part of what it returns), or "".
func gluedValue(flags map[string]flagKind, a string) string {
	if name, _, ok := strings.Cut(a, "="); ok && strings.HasPrefix(name, "--") && flags[name] != 0 {
		return name + "="
	}
	if len(a) > 2 && a[0] == '-' && a[1] != '-' && flags[a[:2]] != 0 {
		return a[:2]
	}
	return ""
}
