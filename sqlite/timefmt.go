package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// timeLayout is how times are stored: UTC, fixed width, microseconds. Fixed
// width makes string order equal time order, so SQL can compare and sort
// the TEXT columns directly. Microseconds are what PostgreSQL keeps too, so
// both stores hand back the same values.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// storedTime is t as the store keeps it: in UTC, truncated to the
// microsecond, without a monotonic clock reading.
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

func encodeTime(t time.Time) string {
	return storedTime(t).Format(timeLayout)
}

// encodeTimePtr encodes an optional time, NULL for nil.
func encodeTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encodeTime(*t)
}

// timeCol scans a NOT NULL time column into *dst.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	t, err := parseStoredTime(s)
	if err != nil {
		return fmt.Errorf("time column: %w", err)
	}
	*c.dst = t
	return nil
}

// nullTimeCol scans a nullable time column into *dst (nil for NULL).
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// nullCol scans a nullable column into an optional value (nil for NULL).
type nullCol[T any] struct{ dst **T }

func (c nullCol[T]) Scan(src any) error {
	var v sql.Null[T]
	if err := v.Scan(src); err != nil {
		return err
	}
	if !v.Valid {
		*c.dst = nil
		return nil
	}
	x := v.V
	*c.dst = &x
	return nil
}

// nullArg is the SQL argument for an optional value: NULL for nil.
func nullArg[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
