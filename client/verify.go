package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sipsim/sipsim/events"
)

// Errors of VerifyWebhook, for errors.Is. Answer any of them with a 4xx
// and ignore the request: it was not sent by SIPSIM with this secret.
var (
	ErrSignatureMalformed = events.ErrSignatureMalformed
	ErrSignatureMismatch  = events.ErrSignatureMismatch
	ErrSignatureExpired   = events.ErrSignatureExpired
)

// DefaultTolerance is the signature age VerifyWebhook accepts when given
// a tolerance of 0.
const DefaultTolerance = events.DefaultTolerance

// maxWebhookBody bounds the body VerifyWebhook reads: an event is one call
// snapshot, a few kilobytes.
const maxWebhookBody = 1 << 20

// VerifyWebhook checks that r is a delivery signed with the webhook's
// secret and returns its event. It reads r.Body (and leaves a copy in its
// place), recomputes the HMAC-SHA256 of "<t>.<body>" in constant time
// against the SIPSIM-Signature header, and refuses a timestamp further
// than tolerance from now (0 means DefaultTolerance, 5 minutes), which
// stops replays of a captured request.
//
// Deliveries are at least once: the same event can arrive twice, so a
// receiver dedupes on Event.ID (also sent as the SIPSIM-Event-Id header).
// Answer 2xx quickly; anything else, or no answer within 10 s, is retried.
func VerifyWebhook(secret string, r *http.Request, tolerance time.Duration) (*Event, error) {
	return verifyWebhookAt(secret, r, tolerance, time.Now())
}

func verifyWebhookAt(secret string, r *http.Request, tolerance time.Duration, now time.Time) (*Event, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("sipsim webhook: request has no body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("sipsim webhook: read body: %w", err)
	}
	if len(body) > maxWebhookBody {
		return nil, fmt.Errorf("sipsim webhook: body larger than %d bytes", maxWebhookBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := events.Verify(secret, r.Header.Get(events.SignatureHeader), body, now, tolerance); err != nil {
		return nil, fmt.Errorf("sipsim webhook: %w", err)
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("sipsim webhook: signed body is not an event: %w", err)
	}
	return &ev, nil
}
