package point

import (
	"fmt"
	"math"
	"time"
)

// Precision is the unit of timestamps in a write request (?precision=).
type Precision uint8

const (
	// Auto guesses the unit from the timestamp's magnitude (see Detect).
	Auto Precision = iota
	Nanosecond
	Microsecond
	Millisecond
	Second
	Minute
	Hour
)

var precisionUnits = [...]time.Duration{
	Nanosecond: time.Nanosecond, Microsecond: time.Microsecond,
	Millisecond: time.Millisecond, Second: time.Second,
	Minute: time.Minute, Hour: time.Hour,
}

// ParsePrecision reads DataKit's precision names: n, u, ms, s, m, h
// (ns and us are accepted too). The empty string means Auto.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "":
		return Auto, nil
	case "n", "ns":
		return Nanosecond, nil
	case "u", "us", "µs":
		return Microsecond, nil
	case "ms":
		return Millisecond, nil
	case "s":
		return Second, nil
	case "m":
		return Minute, nil
	case "h":
		return Hour, nil
	}
	return Auto, fmt.Errorf("unknown precision %q (want n, u, ms, s, m or h)", s)
}

// Detect picks the unit of an epoch timestamp from its magnitude:
// below 1e12 seconds, below 1e15 milliseconds, below 1e18 microseconds,
// else nanoseconds. That is right for every date from 2001 to 2286;
// minutes and hours cannot be told apart from seconds and must be explicit.
func Detect(ts int64) Precision {
	a := ts
	if a < 0 {
		a = -a
	}
	switch {
	case a < 1e12:
		return Second
	case a < 1e15:
		return Millisecond
	case a < 1e18:
		return Microsecond
	}
	return Nanosecond
}

// Time converts an epoch timestamp in unit p (Auto: detected) to a time,
// failing when it does not fit in int64 nanoseconds.
func (p Precision) Time(ts int64) (time.Time, error) {
	if p == Auto {
		p = Detect(ts)
	}
	unit := int64(precisionUnits[p])
	if ts > math.MaxInt64/unit || ts < math.MinInt64/unit {
		return time.Time{}, fmt.Errorf("timestamp %d%s is out of range", ts, p)
	}
	return time.Unix(0, ts*unit), nil
}

func (p Precision) String() string {
	return [...]string{"(auto)", "ns", "us", "ms", "s", "m", "h"}[p]
}
