package sipsim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Error codes. Each adapter maps them once: httpapi to HTTP statuses, voip to
// SIP responses. Anything that is not an *Error is EINTERNAL: the user sees
// "Internal error" and a request id, the log keeps the cause.
const (
	EINVALID       = "invalid"
	ENOTFOUND      = "not_found"
	ECONFLICT      = "conflict"
	EUNAUTHORIZED  = "unauthorized"
	EFORBIDDEN     = "forbidden"
	EUNPROCESSABLE = "unprocessable"
	ERATELIMIT     = "rate_limit"
	EUNAVAILABLE   = "unavailable"
	EINTERNAL      = "internal"
)

// Error is an application error: a code for machines and a message that is
// safe to show to the API user.
type Error struct {
	Code    string
	Message string
	// Details are further user-facing lines, e.g. how to fix the input.
	// The API lists them after Message in errors[], so the first entry
	// stays the documented message.
	Details []string
	// CallID names the call an error is about, e.g. the call already in
	// progress when a phone is busy; the API returns it as call_id.
	CallID string
	// Limit and RetryAfter describe the limit an ERATELIMIT error ran
	// into, for the API's Retry-After and X-RateLimit-* headers: how many
	// requests it allows, and how long until one more is (0 when that
	// cannot be known, e.g. until one of the calls in progress ends).
	Limit      int
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("sipsim error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, "" for
// nil and EINTERNAL otherwise.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors never
// leak their text.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

// ErrorDetails returns the extra user-facing lines of err, if any.
func ErrorDetails(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// ErrorCallID returns the call id carried by err, if any.
func ErrorCallID(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.CallID
	}
	return ""
}

// RateLimited returns the ERATELIMIT error of a limit of limit requests
// that lets one more through after wait, with a detail saying when.
func RateLimited(limit int, wait time.Duration, format string, args ...any) *Error {
	e := Errorf(ERATELIMIT, format, args...)
	e.Details = []string{fmt.Sprintf("Retry in %d s", int(math.Ceil(wait.Seconds())))}
	e.Limit, e.RetryAfter = limit, wait
	return e
}

// ErrorRateLimit returns the limit and retry delay carried by err, zero if
// none.
func ErrorRateLimit(err error) (limit int, retryAfter time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Limit, e.RetryAfter
	}
	return 0, 0
}
