package point

import "time"

// Options control decoding of one write request.
type Options struct {
	Precision Precision // unit of timestamps; Auto detects it per point
	Now       time.Time // time of points without one; zero: time.Now()
	Limits    Limits    // zero fields: DefaultLimits
}

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}
