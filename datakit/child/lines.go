package child

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"strings"
)

// maxLine bounds one forwarded log line; the rest of a longer line is
// dropped (and said so) rather than buffered without limit.
const maxLine = 16 << 10

// forwardLines calls emit for each line read from r until EOF or a read
// error. It keeps reading past over-long lines, so a chatty child can never
// block on a full pipe.
func forwardLines(r io.Reader, emit func(string)) {
	br := bufio.NewReaderSize(r, 4096)
	var line []byte
	truncated := false
	for {
		chunk, isPrefix, err := br.ReadLine()
		if len(chunk) > 0 {
			room := maxLine - len(line)
			if len(chunk) > room {
				chunk, truncated = chunk[:max(room, 0)], true
			}
			line = append(line, chunk...)
		}
		if err != nil {
			if len(line) > 0 {
				emit(finish(line, truncated))
			}
			return
		}
		if isPrefix {
			continue
		}
		emit(finish(line, truncated))
		line, truncated = line[:0], false
	}
}

func finish(line []byte, truncated bool) string {
	s := string(bytes.TrimRight(line, "\r"))
	if truncated {
		s += " …[line truncated]"
	}
	return s
}

// lineLevel picks the level of a child's log line written by slog's text or
// JSON handler (level=WARN, "level":"ERROR"); other lines are Info.
func lineLevel(line string) slog.Level {
	i := strings.Index(line, "level=")
	n := len("level=")
	if i < 0 {
		if i = strings.Index(line, `"level":"`); i < 0 {
			return slog.LevelInfo
		}
		n = len(`"level":"`)
	}
	word := line[i+n:]
	switch {
	case strings.HasPrefix(word, "ERROR"), strings.HasPrefix(word, "error"):
		return slog.LevelError
	case strings.HasPrefix(word, "WARN"), strings.HasPrefix(word, "warn"):
		return slog.LevelWarn
	case strings.HasPrefix(word, "DEBUG"), strings.HasPrefix(word, "debug"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
