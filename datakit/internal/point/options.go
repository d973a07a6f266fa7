package point

import "time"

// Options control decoding of one write request.
type Options struct {
	Precision Precision // unit of timestamps; Auto detects it per point
	Now       time.Time // time of points without one; zero: time.Now()
	Limits    Limits    // zero fields: DefaultLimits
	// Category selects DataKit's checks for it (see CategoryRules).
	Category string
	// Strict refuses a point the checks would fix, with a Warning error.
	Strict bool
	// OnFix, when set, is told of every fix made (DataKit's warning name).
	OnFix func(warning string)
}

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}
