package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sipsim/sipsim"
)

// statusByCode maps each domain error code to its HTTP status. This is the
// only place the two vocabularies meet; any code not listed (EINTERNAL and
// plain errors) is a 500.
var statusByCode = map[string]int{
	sipsim.EINVALID:       http.StatusBadRequest,
	sipsim.EUNAUTHORIZED:  http.StatusUnauthorized,
	sipsim.EFORBIDDEN:     http.StatusForbidden,
	sipsim.ENOTFOUND:      http.StatusNotFound,
	sipsim.ECONFLICT:      http.StatusConflict,
	sipsim.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	sipsim.ERATELIMIT:     http.StatusTooManyRequests,
	sipsim.EUNAVAILABLE:   http.StatusServiceUnavailable,
}

// httpError is an answer the HTTP layer decides by itself: a status with no
// domain code (413, 405, ...) or several validation messages at once.
type httpError struct {
	status   int
	messages []string
}

func (e *httpError) Error() string {
	return http.StatusText(e.status) + ": " + strings.Join(e.messages, "; ")
}

// badRequest is a 400 carrying one message per problem found.
func badRequest(messages ...string) error {
	return &httpError{status: http.StatusBadRequest, messages: messages}
}

// errorAnswer returns the status and user-facing messages for err, and
// whether err is internal (its cause must be logged, never shown).
func errorAnswer(err error) (status int, messages []string, internal bool) {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he.status, he.messages, false
	}
	status, ok := statusByCode[sipsim.ErrorCode(err)]
	if !ok {
		return http.StatusInternalServerError, []string{"Internal error"}, true
	}
	// The documented message first, then how to fix it.
	return status, append([]string{sipsim.ErrorMessage(err)}, sipsim.ErrorDetails(err)...), false
}

// notFoundAs rewords a not-found error as the API documents it ("Phone not
// found"), whatever the store behind said; other errors pass unchanged.
func notFoundAs(err error, message string) error {
	if sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
		return sipsim.Errorf(sipsim.ENOTFOUND, "%s", message)
	}
	return err
}
