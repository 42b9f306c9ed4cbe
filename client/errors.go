package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an answer of the API other than a success: its HTTP status and
// the messages of the error envelope, the first one being the documented
// message ("Phone is currently on another call"), the others how to fix it.
type Error struct {
	Status    int
	Messages  []string
	RequestID string // quote it when asking for support
	Path      string
	// CallID names the call a 409 on POST /api/v2/calls is about: the
	// phone's active call, or the same call placed seconds ago.
	CallID string
	// RetryAfter is how long a 429 asks to wait (its Retry-After header);
	// zero when the server did not say.
	RetryAfter time.Duration
	method     string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sipsim: ")
	if e.method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.method, e.Path)
	}
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Message is the first message of the answer, the one to show a user.
func (e *Error) Message() string {
	if len(e.Messages) == 0 {
		return http.StatusText(e.Status)
	}
	return e.Messages[0]
}

// The first messages the API documents for the answers helpers tell apart.
const (
	msgBusy          = "Phone is currently on another call"
	msgInvalidNumber = "target_number is invalid"
	msgDuplicateCall = "A call from this phone to "
	msgInFlight      = "A request with this Idempotency-Key is still being processed"
)

// decodeError reads an error envelope. A body that is not one (a proxy's
// HTML page, say) still gives the status and a short excerpt.
func decodeError(method, path string, resp *http.Response, raw []byte) *Error {
	var env struct {
		Errors    []string `json:"errors"`
		RequestID string   `json:"request_id"`
		Path      string   `json:"path"`
		CallID    string   `json:"call_id"`
	}
	e := &Error{Status: resp.StatusCode, Path: path, method: method}
	if json.Unmarshal(raw, &env) == nil {
		e.Messages, e.RequestID, e.CallID = env.Errors, env.RequestID, env.CallID
		if env.Path != "" {
			e.Path = env.Path
		}
	} else if s := strings.TrimSpace(string(raw)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		e.Messages = []string{s}
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// asError returns the *Error in err's chain, if any.
func asError(err error) (*Error, bool) {
	return errors.AsType[*Error](err)
}

func hasStatus(err error, status int) bool {
	e, ok := asError(err)
	return ok && e.Status == status
}

// IsBusy reports whether err is the document's "Phone Busy" answer: a 409
// because the phone is on another call (Error.CallID names that call).
// The double-click guard's 409 is not busy: see IsDuplicateCall.
func IsBusy(err error) bool {
	e, ok := asError(err)
	return ok && e.Status == http.StatusConflict && e.Message() == msgBusy
}

// IsDuplicateCall reports whether err is the double-click guard: the same
// phone called the same number seconds ago. Error.CallID is that call,
// which is the one to follow; placing it again would ring twice.
func IsDuplicateCall(err error) bool {
	e, ok := asError(err)
	return ok && e.Status == http.StatusConflict && strings.HasPrefix(e.Message(), msgDuplicateCall)
}

// IsIdempotencyInFlight reports whether err says a request with the same
// Idempotency-Key is still running: retrying shortly replays its answer.
func IsIdempotencyInFlight(err error) bool {
	e, ok := asError(err)
	return ok && e.Status == http.StatusConflict && strings.HasPrefix(e.Message(), msgInFlight)
}

// IsConflict reports any 409: busy, duplicate call, a tag name in use...
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsInvalidNumber reports whether err is the document's answer to a target
// number that is not E.164 (400 "target_number is invalid"); the next
// messages suggest a fix.
func IsInvalidNumber(err error) bool {
	e, ok := asError(err)
	return ok && e.Status == http.StatusBadRequest && e.Message() == msgInvalidNumber
}

// IsInvalid reports any 400: a parameter or body the API refused.
func IsInvalid(err error) bool { return hasStatus(err, http.StatusBadRequest) }

// IsNotFound reports a 404: unknown phone, call, tag or webhook.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsRateLimited reports a 429; Error.RetryAfter says how long to wait.
func IsRateLimited(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// IsUnauthorized reports a 401: missing, unknown or revoked token.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports a 403: the token lacks the route's scope.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsUnprocessable reports a 422: e.g. the phone is not active or no device
// is registered, or an Idempotency-Key was reused for another request.
func IsUnprocessable(err error) bool { return hasStatus(err, http.StatusUnprocessableEntity) }
