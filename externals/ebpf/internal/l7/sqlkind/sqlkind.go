// Package sqlkind names a SQL statement by its first keyword (SELECT,
// INSERT...), the statement kind the database protocols report: never the
// statement's text, which may hold data. Leading blanks, comments and
// parentheses are skipped; a first word outside the known set is OTHER,
// so that the kind stays a bounded tag whatever the client sends.
package sqlkind

// Other is the kind of a statement whose first word is not known.
const Other = "OTHER"

// keywords are the statement-leading keywords of PostgreSQL and
// MySQL/MariaDB.
var keywords = map[string]string{}

func init() {
	for _, k := range []string{"ABORT", "ALTER", "ANALYZE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER",
		"COMMENT", "COMMIT", "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DESC", "DESCRIBE", "DISCARD",
		"DO", "DROP", "END", "EXECUTE", "EXPLAIN", "FETCH", "FLUSH", "GRANT", "HANDLER", "IMPORT", "INSERT",
		"KILL", "LISTEN", "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "OPTIMIZE", "PREPARE", "REASSIGN",
		"REFRESH", "REINDEX", "RELEASE", "RENAME", "REPAIR", "REPLACE", "RESET", "REVOKE", "ROLLBACK",
		"SAVEPOINT", "SECURITY", "SELECT", "SET", "SHOW", "START", "TABLE", "TRUNCATE", "UNLISTEN", "UNLOCK",
		"UPDATE", "USE", "VACUUM", "VALUES", "WITH", "XA"} {
		keywords[k] = k
	}
}

// Kind returns the statement kind of the start of a statement (what was
// captured of it).
func Kind(q []byte) string {
	i := 0
	for i < len(q) {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ';':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := i + 2
			for end+1 < len(q) && !(q[end] == '*' && q[end+1] == '/') {
				end++
			}
			i = end + 2
		default:
			return word(q[i:])
		}
	}
	return Other
}

func word(q []byte) string {
	var buf [12]byte
	n := 0
	for _, c := range q {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		if n == len(buf) {
			return Other
		}
		buf[n], n = c, n+1
	}
	if k, ok := keywords[string(buf[:n])]; ok {
		return k
	}
	return Other
}
