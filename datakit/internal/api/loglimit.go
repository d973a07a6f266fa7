package api

import (
	"log/slog"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// limitedLog rate-limits one kind of log line that any client can cause
// (a reported input error, a slow body): a flood of requests must not
// become a flood of log. The next line that passes says how many were
// dropped before it.
type limitedLog struct {
	lim     *rate.Limiter
	dropped atomic.Int64
}

// Up to 10 lines a second, in bursts of 20.
func newLimitedLog() *limitedLog { return &limitedLog{lim: rate.NewLimiter(10, 20)} }

func (l *limitedLog) warn(log *slog.Logger, msg string, args ...any) {
	if !l.lim.Allow() {
		l.dropped.Add(1)
		return
	}
	if n := l.dropped.Swap(0); n > 0 {
		args = append(args, "dropped_before", n)
	}
	log.Warn(msg, args...)
}

// clipLog cuts s to at most n bytes, at a rune boundary, for a log line,
// saying how much was cut.
func clipLog(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)-n) + " more bytes)"
}
