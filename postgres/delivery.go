package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// Batch sizes of the outbox reads.
const (
	defaultClaimLimit    = 100
	defaultDeliveryLimit = 25
	maxDeliveryLimit     = 1000
)

const deliverySelect = `SELECT id, account_id, webhook_id, event_id, event_type, status, attempts,
	next_attempt_at, created_at, updated_at FROM webhook_deliveries `

func scanDelivery(row pgx.Row) (*sipsim.Delivery, error) {
	var (
		d      sipsim.Delivery
		status string
	)
	err := row.Scan(&d.ID, &d.AccountID, &d.WebhookID, &d.EventID, &d.EventType, &status, &d.Attempts,
		&d.NextAttemptAt, &d.CreatedAt, &d.UpdatedAt)
	d.Status = sipsim.DeliveryStatus(status)
	return &d, err
}

func errDeliveryNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Delivery not found") }

// dueDeliveriesQuery selects due deliveries, oldest due first, and locks
// them. Its condition on status is the partial index
// webhook_deliveries_due's, which serves both the filter and the order.
// SKIP LOCKED: rows another sender is claiming are left to it.
const dueDeliveriesQuery = `WHERE status = 'pending' AND next_attempt_at <= $1
	ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`

// dueDeliveriesSkippingQuery is dueDeliveriesQuery passing over the
// webhooks in an array of ids: the same index walk, with the skipped rows
// filtered out on the way (and not locked).
const dueDeliveriesSkippingQuery = `WHERE status = 'pending' AND next_attempt_at <= $1 AND webhook_id <> ALL ($3)
	ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`

// ClaimDueDeliveries returns up to limit (default 100) pending deliveries
// due at now, oldest due first, none of the webhooks in skip, with their
// webhook (secret included) and event (with its snapshot), and moves them
// to now+lease. The select locks the rows it takes and skips those locked
// by another claimer, on this node or another, so two claimers never get
// the same delivery.
func (db *DB) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int, skip []int64) ([]*sipsim.Delivery, error) {
	if limit <= 0 {
		limit = defaultClaimLimit
	}
	query, args := deliverySelect+dueDeliveriesQuery, []any{storedTime(now), limit}
	if len(skip) > 0 {
		query, args = deliverySelect+dueDeliveriesSkippingQuery, append(args, skip)
	}
	until := storedTime(now.Add(lease))
	var claimed []*sipsim.Delivery
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		claimed, err = queryAll(ctx, tx, scanDelivery, query, args...)
		if err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]int64, len(claimed))
		webhookIDs := make([]int64, len(claimed))
		eventIDs := make([]int64, len(claimed))
		for i, d := range claimed {
			ids[i], webhookIDs[i], eventIDs[i] = d.ID, d.WebhookID, d.EventID
			d.NextAttemptAt = until
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = ANY ($2)`, until, ids); err != nil {
			return err
		}
		hooks, err := queryAll(ctx, tx, scanWebhook, webhookSelect+"WHERE id = ANY ($1)", webhookIDs)
		if err != nil {
			return err
		}
		events, err := queryAll(ctx, tx, scanEvent, eventSelect+"WHERE id = ANY ($1)", eventIDs)
		if err != nil {
			return err
		}
		hookByID := make(map[int64]*sipsim.Webhook, len(hooks))
		for _, w := range hooks {
			hookByID[w.ID] = w
		}
		eventByID := make(map[int64]*sipsim.CallEvent, len(events))
		for _, ev := range events {
			eventByID[ev.ID] = ev
		}
		for _, d := range claimed {
			d.Webhook, d.Event = hookByID[d.WebhookID], eventByID[d.EventID]
		}
		return nil
	})
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	return claimed, nil
}

// RecordAttempt appends a to the delivery's log and, while the delivery is
// still pending, sets its attempts to a.Attempt, its status and its next
// attempt time. A delivery already succeeded or failed keeps its status: a
// sender whose lease ran out must not reopen what another one finished, but
// its try still goes in the log. The delivery's row is locked first, so
// that a webhook deleted meanwhile either waits for this attempt and takes
// it along, or is gone before and the attempt is ENOTFOUND.
func (db *DB) RecordAttempt(ctx context.Context, a *sipsim.DeliveryAttempt, status sipsim.DeliveryStatus, next time.Time) error {
	now := db.stamp()
	a.At = storedTime(a.At)
	err := db.write(ctx, func(tx pgx.Tx) error {
		var accountID int64
		err := tx.QueryRow(ctx, `SELECT account_id FROM webhook_deliveries WHERE id = $1 FOR NO KEY UPDATE`,
			a.DeliveryID).Scan(&accountID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errDeliveryNotFound()
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO webhook_delivery_attempts (account_id, delivery_id, attempt, at, status_code, error,
				response_body, duration_ns)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			accountID, a.DeliveryID, a.Attempt, a.At, a.StatusCode, a.Error,
			[]byte(a.ResponseBody), int64(a.Duration)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, updated_at = $4
			WHERE id = $5 AND status = 'pending'`,
			a.Attempt, string(status), storedTime(next), now, a.DeliveryID)
		return err
	})
	if violatesCheck(err, "webhook_deliveries_status") {
		return sipsim.Errorf(sipsim.EINVALID, "Unknown delivery status %q", status)
	}
	return wrap("record attempt", err)
}

// WebhookDeliveries returns the newest deliveries of a webhook (limit <= 0
// means 25, at most 1000), newest first, each with its attempts in order.
func (db *DB) WebhookDeliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*sipsim.Delivery, error) {
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	limit = min(limit, maxDeliveryLimit)
	var deliveries []*sipsim.Delivery
	err := db.read(ctx, func(tx pgx.Tx) error {
		var found bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE account_id = $1 AND id = $2)`,
			accountID, webhookID).Scan(&found)
		if err != nil {
			return err
		}
		if !found {
			return errWebhookNotFound()
		}
		deliveries, err = queryAll(ctx, tx, scanDelivery,
			deliverySelect+"WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2", webhookID, limit)
		if err != nil || len(deliveries) == 0 {
			return err
		}
		return loadAttempts(ctx, tx, deliveries)
	})
	if err != nil {
		return nil, wrap("webhook deliveries", err)
	}
	return deliveries, nil
}

// loadAttempts sets the AttemptLog of each delivery with one query.
func loadAttempts(ctx context.Context, q querier, deliveries []*sipsim.Delivery) error {
	byID := make(map[int64]*sipsim.Delivery, len(deliveries))
	ids := make([]int64, len(deliveries))
	for i, d := range deliveries {
		byID[d.ID], ids[i] = d, d.ID
	}
	attempts, err := queryAll(ctx, q, func(row pgx.Row) (*sipsim.DeliveryAttempt, error) {
		var (
			a    sipsim.DeliveryAttempt
			body []byte
			ns   int64
		)
		err := row.Scan(&a.DeliveryID, &a.Attempt, &a.At, &a.StatusCode, &a.Error, &body, &ns)
		a.ResponseBody, a.Duration = string(body), time.Duration(ns)
		return &a, err
	}, `SELECT delivery_id, attempt, at, status_code, error, response_body, duration_ns
		FROM webhook_delivery_attempts WHERE delivery_id = ANY ($1) ORDER BY delivery_id, attempt, id`, ids)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		d := byID[a.DeliveryID]
		d.AttemptLog = append(d.AttemptLog, a)
	}
	return nil
}
