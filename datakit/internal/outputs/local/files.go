package local

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// files writes <dir>/<category>/<opened UTC time>.lp. Every write is
// fdatasynced before it returns, because the pipeline forgets a batch once
// the output took it.
type files struct {
	dir string
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	cur   map[string]*curFile // by category
	total int64               // bytes of all files, current ones included
}

type curFile struct {
	f      *os.File
	path   string
	size   int64
	opened time.Time
}

const timeLayout = "20060102T150405.000000000Z"

func openFiles(dir string, cfg Config, log *slog.Logger) (*files, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fs := &files{dir: dir, cfg: cfg, log: log, cur: map[string]*curFile{}}
	old, err := fs.list()
	if err != nil {
		return nil, err
	}
	for _, f := range old {
		fs.total += f.size
	}
	fs.prune(time.Now())
	return fs, nil
}

func (fs *files) write(category string, lp []byte) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := time.Now()
	c := fs.cur[category]
	rotated := false
	if c != nil && (c.size > 0 && c.size+int64(len(lp)) > fs.cfg.MaxFileBytes || now.Sub(c.opened) > fs.cfg.MaxFileAge) {
		c.f.Close()
		delete(fs.cur, category)
		c, rotated = nil, true
	}
	if c == nil {
		var err error
		if c, err = fs.create(category, now); err != nil {
			return err
		}
		fs.cur[category] = c
	}
	n, err := c.f.Write(lp)
	c.size += int64(n)
	fs.total += int64(n)
	if err == nil {
		err = unix.Fdatasync(int(c.f.Fd()))
	}
	if err != nil {
		// Start a fresh file next time rather than append after a partial write.
		c.f.Close()
		delete(fs.cur, category)
		return fmt.Errorf("local store %s: %w", c.path, err)
	}
	if rotated || fs.total > fs.cfg.MaxTotalBytes {
		fs.prune(now)
	}
	return nil
}

func (fs *files) create(category string, now time.Time) (*curFile, error) {
	dir := filepath.Join(fs.dir, category)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		name := now.UTC().Format(timeLayout) + ".lp"
		if i > 0 {
			name = fmt.Sprintf("%s-%d.lp", now.UTC().Format(timeLayout), i)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if d, err := os.Open(dir); err == nil { // make the new name durable
			d.Sync()
			d.Close()
		}
		return &curFile{f: f, path: path, opened: now}, nil
	}
}

type fileInfo struct {
	path     string
	name     string
	size     int64
	modified time.Time
}

// list returns every store file, oldest name first.
func (fs *files) list() ([]fileInfo, error) {
	paths, err := filepath.Glob(filepath.Join(fs.dir, "*", "*.lp"))
	if err != nil {
		return nil, err
	}
	var out []fileInfo
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		out = append(out, fileInfo{path: p, name: filepath.Base(p), size: st.Size(), modified: st.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// prune deletes the oldest closed files past the total size bound and the
// files last written more than max_age ago.
func (fs *files) prune(now time.Time) {
	all, err := fs.list()
	if err != nil {
		fs.log.Error("local store: listing files for retention", "err", err)
		return
	}
	open := map[string]bool{}
	for _, c := range fs.cur {
		open[c.path] = true
	}
	for _, f := range all {
		if open[f.path] {
			continue
		}
		tooOld := now.Sub(f.modified) > fs.cfg.MaxAge
		if !tooOld && fs.total <= fs.cfg.MaxTotalBytes {
			continue
		}
		if err := os.Remove(f.path); err != nil {
			fs.log.Error("local store: retention", "file", f.path, "err", err)
			continue
		}
		fs.total -= f.size
		fs.log.Info("local store: retention removed a file", "file", f.path, "bytes", f.size, "too_old", tooOld)
	}
}

func (fs *files) close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var errs []error
	for cat, c := range fs.cur {
		errs = append(errs, c.f.Close())
		delete(fs.cur, cat)
	}
	return errors.Join(errs...)
}
