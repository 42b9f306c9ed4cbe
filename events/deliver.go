package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// Delivery request headers besides SignatureHeader. Receivers dedupe on
// EventIDHeader: delivery is at least once.
const (
	EventIDHeader    = "SIPSIM-Event-Id"
	EventTypeHeader  = "SIPSIM-Event-Type"
	DeliveryIDHeader = "SIPSIM-Delivery-Id"
	userAgent        = "SIPSIM-Webhooks"
)

// responseBodyLimit is how much of a receiver's answer the delivery log
// keeps: enough to read an error message, not enough to fill the database.
const responseBodyLimit = 1024

// drainLimit is how much more of a response is read, unkept, so that the
// connection can be reused; a bigger body costs a new connection instead.
const drainLimit = 64 << 10

// deliver makes one attempt at del and records it.
func (d *Dispatcher) deliver(ctx context.Context, del *sipsim.Delivery) {
	start := d.cfg.Now()
	began := time.Now() // the duration comes from the monotonic clock
	a := &sipsim.DeliveryAttempt{DeliveryID: del.ID, Attempt: del.Attempts + 1, At: start}
	ok := d.post(ctx, del, start, a)
	a.Duration = time.Since(began)

	now := d.cfg.Now()
	status, next := d.outcome(del, a.Attempt, ok, now)
	rctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := d.cfg.Store.RecordAttempt(rctx, a, status, next); err != nil {
		if sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
			d.log.Info("webhooks: webhook deleted during a delivery", "delivery_id", del.ID, "webhook_id", del.WebhookID)
			return
		}
		// The lease brings it back: sent again, at least once.
		d.log.Error("webhooks: recording a delivery attempt", "delivery_id", del.ID, "err", err)
		return
	}
	if d.cfg.Attempted != nil {
		d.cfg.Attempted(status)
	}
	log := d.log.With("delivery_id", del.ID, "webhook_id", del.WebhookID, "event_id", del.EventID,
		"attempt", a.Attempt, "status_code", a.StatusCode)
	if a.Error != "" {
		log = log.With("err", a.Error)
	}
	switch status {
	case sipsim.DeliverySucceeded:
		log.Debug("webhooks: delivered")
	case sipsim.DeliveryFailed:
		log.Warn("webhooks: delivery failed for good", "age", now.Sub(del.CreatedAt))
	default:
		log.Info("webhooks: delivery attempt failed", "next_attempt_at", next)
	}
}

// post sends del once and fills a with what came back. It reports whether
// the receiver accepted it (2xx).
func (d *Dispatcher) post(ctx context.Context, del *sipsim.Delivery, at time.Time, a *sipsim.DeliveryAttempt) bool {
	if del.Webhook == nil || del.Event == nil {
		a.Error = "internal error: delivery without its webhook or event"
		return false
	}
	body, err := json.Marshal(wire.NewEvent(del.Event))
	if err != nil {
		a.Error = "internal error: encoding the event: " + err.Error()
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid webhook URL: " + err.Error()
		return false
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(EventIDHeader, strconv.FormatInt(del.EventID, 10))
	h.Set(EventTypeHeader, del.EventType)
	h.Set(DeliveryIDHeader, strconv.FormatInt(del.ID, 10))
	h.Set(SignatureHeader, Sign(del.Webhook.Secret, at, body))

	resp, err := d.client.Do(req)
	if err != nil {
		a.Error = d.transportError(err)
		return false
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	kept, err := io.ReadAll(io.LimitReader(resp.Body, responseBodyLimit))
	a.ResponseBody = strings.ToValidUTF8(string(kept), "\uFFFD")
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = "redirect not followed"
		if loc := resp.Header.Get("Location"); loc != "" {
			a.Error += " (Location: " + loc + ")"
		}
	case err != nil && resp.StatusCode/100 == 2:
		// The answer was 2xx: the receiver has the event, whatever
		// happened to the rest of its response.
	case err != nil:
		a.Error = "reading the response: " + d.transportError(err)
	}
	return resp.StatusCode/100 == 2
}

// transportError says in a line why no (complete) response came, without
// repeating the URL the log already names.
func (d *Dispatcher) transportError(err error) string {
	if refused, ok := errors.AsType[*RefusedAddressError](err); ok {
		return "refused: " + refused.Error() + " (not in webhook-allow-networks)"
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		if ue.Timeout() {
			return fmt.Sprintf("timed out after %s", d.timeout)
		}
		err = ue.Err
	}
	return err.Error()
}

// outcome is where a delivery stands after its attempt-th attempt ended at
// now.
func (d *Dispatcher) outcome(del *sipsim.Delivery, attempt int, ok bool, now time.Time) (sipsim.DeliveryStatus, time.Time) {
	switch {
	case ok:
		return sipsim.DeliverySucceeded, time.Time{}
	case now.Sub(del.CreatedAt) >= d.cfg.GiveUpAfter:
		return sipsim.DeliveryFailed, time.Time{}
	default:
		return sipsim.DeliveryPending, now.Add(Backoff(d.cfg.RetryBase, d.cfg.RetryCap, attempt))
	}
}

// Backoff is the wait after the attempt-th failed attempt (1 for the
// first): base × 2^(attempt−1), at most limit.
func Backoff(base, limit time.Duration, attempt int) time.Duration {
	wait := base
	for i := 1; i < attempt; i++ {
		if wait > limit/2 { // also keeps the doubling from overflowing
			return limit
		}
		wait *= 2
	}
	return min(wait, limit)
}
