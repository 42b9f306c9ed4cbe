package postgres

import "time"

// storedTime is t as the store keeps it: in UTC, truncated to the
// microsecond (timestamptz's precision), without a monotonic clock
// reading. Values set on the caller's structs go through it, so that they
// equal what a read returns.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// storedTimePtr is storedTime for an optional time; it returns a new
// pointer so that the caller's time is never written through.
func storedTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := storedTime(*t)
	return &s
}
