package sipsim

import (
	"context"
	"time"
)

// Webhook is an HTTPS endpoint of the customer that receives signed events.
type Webhook struct {
	ID          int64
	AccountID   int64
	URL         string
	EventTypes  []string // event types to send; empty means all
	Secret      string   // signs deliveries; shown once, at creation
	Description string
	CreatedAt   time.Time
}

// Wants reports whether the webhook subscribes to an event type.
func (w *Webhook) Wants(eventType string) bool {
	if len(w.EventTypes) == 0 {
		return true
	}
	for _, t := range w.EventTypes {
		if t == eventType {
			return true
		}
	}
	return false
}

// DeliveryStatus is where a webhook delivery stands.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"   // not yet accepted by the endpoint; will be tried (again)
	DeliverySucceeded DeliveryStatus = "succeeded" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // given up after the retry window
)

// Delivery is one event to send to one webhook: a row of the outbox.
type Delivery struct {
	ID            int64
	AccountID     int64
	WebhookID     int64
	EventID       int64
	EventType     string
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Filled by DueDeliveries for the sender:
	Webhook *Webhook
	Event   *CallEvent
	// Filled by WebhookDeliveries for the log:
	AttemptLog []*DeliveryAttempt
}

// DeliveryAttempt is one HTTP POST of a delivery and what came back.
type DeliveryAttempt struct {
	DeliveryID   int64
	Attempt      int // 1 for the first try
	At           time.Time
	StatusCode   int    // 0 when no response (connection refused, timeout)
	Error        string // transport error, if any
	ResponseBody string // first bytes of the response, for debugging
	Duration     time.Duration
}

// WebhookStore persists webhooks and the delivery outbox. CreateCall and
// UpdateCall insert, in the same transaction as each event, one pending
// delivery per webhook of the account that wants the event type: an event
// is stored if and only if its deliveries are.
type WebhookStore interface {
	// CreateWebhook stores w and sets its ID and CreatedAt.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns one webhook. ENOTFOUND.
	Webhook(ctx context.Context, accountID, id int64) (*Webhook, error)
	// Webhooks lists the account's webhooks by id.
	Webhooks(ctx context.Context, accountID int64) ([]*Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries. ENOTFOUND.
	DeleteWebhook(ctx context.Context, accountID, id int64) error
	// ClaimDueDeliveries returns up to limit pending deliveries whose
	// NextAttemptAt is at or before now, earliest due first, with their
	// webhook and event, and moves their NextAttemptAt to now+lease so
	// that no other worker (or node) sends them meanwhile. A sender that
	// dies mid-way is retried after the lease. Deliveries of the webhooks
	// in skip are neither returned nor leased, and the claim reaches past
	// them to other webhooks' deliveries: a worker whose queue for a
	// webhook is full leaves that webhook's backlog in the store, free
	// for the others, rather than leasing what it cannot send yet.
	ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int, skip []int64) ([]*Delivery, error)
	// RecordAttempt appends a to the delivery's log and sets its status:
	// succeeded, failed, or pending again at next. ENOTFOUND.
	RecordAttempt(ctx context.Context, a *DeliveryAttempt, status DeliveryStatus, next time.Time) error
	// WebhookDeliveries returns the newest deliveries of a webhook with
	// their attempts, newest first. ENOTFOUND for an unknown webhook.
	WebhookDeliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*Delivery, error)
}

// IdempotencyRecord remembers the response to a request sent with an
// Idempotency-Key, so that a retry replays it instead of acting twice.
type IdempotencyRecord struct {
	AccountID   int64
	Key         string
	RequestHash string // of method, path and body: the same key with another request is refused
	Status      int    // HTTP status of the stored response; 0 while the first request runs
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// IdempotencyStore keeps idempotency records.
type IdempotencyStore interface {
	// BeginIdempotent stores rec as in flight (Status 0) and returns nil
	// when its key is new or the old record expired; otherwise it stores
	// nothing and returns the existing record.
	BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (*IdempotencyRecord, error)
	// FinishIdempotent stores the response of an in-flight key.
	FinishIdempotent(ctx context.Context, accountID int64, key string, status int, body []byte) error
	// ReleaseIdempotent forgets an in-flight key whose request must not be
	// replayed (e.g. it failed with a server error), so a retry runs again.
	ReleaseIdempotent(ctx context.Context, accountID int64, key string) error
}
