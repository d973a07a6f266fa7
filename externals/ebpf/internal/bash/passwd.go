package bash

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// parsePasswd reads name:password:uid:gid:gecos:home:shell lines. Blank
// lines and comments are skipped; a malformed line is an error naming it
// (callers keep what parsed before it: a half-edited passwd still names
// most users).
func parsePasswd(r io.Reader) (map[uint32]string, error) {
	users := map[uint32]string{}
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		text := strings.TrimSpace(s.Text())
		if text == "" || text[0] == '#' || text[0] == '+' || text[0] == '-' { // NIS compat entries
			continue
		}
		f := strings.Split(text, ":")
		if len(f) < 4 {
			return users, fmt.Errorf("line %d: %d fields, want 7", n, len(f))
		}
		uid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil || f[0] == "" {
			return users, fmt.Errorf("line %d: field 3 (uid) %q or name %q is not valid", n, f[2], f[0])
		}
		if _, dup := users[uint32(uid)]; !dup { // the first entry wins, as getpwuid
			users[uint32(uid)] = f[0]
		}
	}
	return users, s.Err()
}

// users resolves uids with the passwd of the shell's own root (a bash in
// a container has its own users), then the host's (HOST_ROOT/etc/passwd),
// then the number. Files are re-read when they change.
type users struct {
	procRoot, hostRoot string

	mu    sync.Mutex
	files map[string]passwdFile
}

type passwdFile struct {
	mtime time.Time
	users map[uint32]string
}

func newUsers(procRoot, hostRoot string) *users {
	return &users{procRoot: procRoot, hostRoot: hostRoot, files: map[string]passwdFile{}}
}

func (u *users) name(pid, uid uint32) string {
	own := filepath.Join(u.procRoot, strconv.FormatUint(uint64(pid), 10), "root", "etc", "passwd")
	for _, path := range []string{own, filepath.Join(u.hostRoot, "etc", "passwd")} {
		if n, ok := u.lookup(path, uid); ok {
			return n
		}
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func (u *users) lookup(path string, uid uint32) (string, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := u.files[path]
	if !ok || !f.mtime.Equal(st.ModTime()) {
		file, err := os.Open(path)
		if err != nil {
			return "", false
		}
		m, _ := parsePasswd(file)
		file.Close()
		f = passwdFile{mtime: st.ModTime(), users: m}
		if len(u.files) > 256 { // one per container root at most; forget them all rarely
			clear(u.files)
		}
		u.files[path] = f
	}
	n, ok := f.users[uid]
	return n, ok
}
