package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

func scanDelivery(row scanner) (*sipsim.Delivery, error) {
	var (
		d      sipsim.Delivery
		status string
	)
	err := row.Scan(&d.ID, &d.AccountID, &d.WebhookID, &d.EventID, &d.EventType, &status, &d.Attempts,
		timeCol{&d.NextAttemptAt}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	d.Status = sipsim.DeliveryStatus(status)
	return &d, err
}

func errDeliveryNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Delivery not found") }

// enqueueDeliveries writes, inside the transaction that stored ev, one
// pending delivery per webhook of ev's account that wants ev's type: the
// transactional outbox. A crash loses both the event and its deliveries or
// neither. The delivery is due at the event's time. It sets
// ev.Deliveries to their number.
func enqueueDeliveries(ctx context.Context, tx writeTx, ev *sipsim.CallEvent) error {
	at := encodeTime(ev.At)
	res, err := tx.ExecContext(ctx, `
		INSERT INTO webhook_deliveries (account_id, webhook_id, event_id, event_type, status, attempts,
			next_attempt_at, created_at, updated_at)
		SELECT w.account_id, w.id, ?, ?, 'pending', 0, ?, ?, ?
		FROM webhooks w
		WHERE w.account_id = ? AND EXISTS (
			SELECT 1 FROM webhook_event_types t
			WHERE t.webhook_id = w.id AND t.event_type IN (?, '`+allEventTypes+`'))
		ORDER BY w.id`,
		ev.ID, ev.Type, at, at, at, ev.AccountID, ev.Type)
	if err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	ev.Deliveries = int(n)
	return nil
}

// dueDeliveriesQuery selects due deliveries, oldest due first. Its
// condition on status is the partial index webhook_deliveries_due's, which
// serves both the filter and the order.
const dueDeliveriesQuery = `WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`

// dueDeliveriesSkippingQuery is dueDeliveriesQuery passing over the
// webhooks listed in a JSON array: the same index walk, with the skipped
// rows filtered out on the way.
const dueDeliveriesSkippingQuery = `WHERE status = 'pending' AND next_attempt_at <= ?
	AND webhook_id NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at, id LIMIT ?`

// ClaimDueDeliveries returns up to limit (default 100) pending deliveries
// due at now, oldest due first, none of the webhooks in skip, with their
// webhook (secret included) and event (with its snapshot), and moves them
// to now+lease. The select and the update share one write transaction,
// and SQLite has one writer at a time, so two claimers never get the same
// delivery.
func (db *DB) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int, skip []int64) ([]*sipsim.Delivery, error) {
	if limit <= 0 {
		limit = defaultClaimLimit
	}
	query, args := deliverySelect+dueDeliveriesQuery, []any{encodeTime(now), limit}
	if len(skip) > 0 {
		ids, err := json.Marshal(skip)
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		query, args = deliverySelect+dueDeliveriesSkippingQuery, []any{encodeTime(now), string(ids), limit}
	}
	until := storedTime(now.Add(lease))
	var claimed []*sipsim.Delivery
	err := db.write(ctx, func(tx writeTx) error {
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
		in, args := inList(ids)
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN "+in,
			append([]any{encodeTime(until)}, args...)...); err != nil {
			return err
		}
		in, args = inList(webhookIDs)
		hooks, err := findWebhooks(ctx, tx, "WHERE id IN "+in, args...)
		if err != nil {
			return err
		}
		in, args = inList(eventIDs)
		events, err := queryAll(ctx, tx, scanEvent, eventSelect+"WHERE id IN "+in, args...)
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
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return claimed, nil
}

// RecordAttempt appends a to the delivery's log and, while the delivery is
// still pending, sets its attempts to a.Attempt, its status and its next
// attempt time. A delivery already succeeded or failed keeps its status: a
// sender whose lease ran out must not reopen what another one finished, but
// its try still goes in the log.
func (db *DB) RecordAttempt(ctx context.Context, a *sipsim.DeliveryAttempt, status sipsim.DeliveryStatus, next time.Time) error {
	now := db.stamp()
	a.At = storedTime(a.At)
	err := db.write(ctx, func(tx writeTx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT account_id FROM webhook_deliveries WHERE id = ?`, a.DeliveryID).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return errDeliveryNotFound()
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO webhook_delivery_attempts (account_id, delivery_id, attempt, at, status_code, error,
				response_body, duration_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			accountID, a.DeliveryID, a.Attempt, encodeTime(a.At), a.StatusCode, a.Error,
			a.ResponseBody, int64(a.Duration)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE webhook_deliveries SET attempts = ?, status = ?, next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`,
			a.Attempt, string(status), encodeTime(next), encodeTime(now), a.DeliveryID)
		return err
	})
	if violatesCheck(err, "webhook_deliveries_status") {
		return sipsim.Errorf(sipsim.EINVALID, "Unknown delivery status %q", status)
	}
	return wrapUnlessCoded("record attempt", err)
}

// WebhookDeliveries returns the newest deliveries of a webhook (limit <= 0
// means 25, at most 1000), newest first, each with its attempts in order.
func (db *DB) WebhookDeliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*sipsim.Delivery, error) {
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	limit = min(limit, maxDeliveryLimit)
	var deliveries []*sipsim.Delivery
	err := db.read(ctx, func(tx *sql.Tx) error {
		var found bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE account_id = ? AND id = ?)`,
			accountID, webhookID).Scan(&found)
		if err != nil {
			return err
		}
		if !found {
			return errWebhookNotFound()
		}
		deliveries, err = queryAll(ctx, tx, scanDelivery,
			deliverySelect+"WHERE webhook_id = ? ORDER BY id DESC LIMIT ?", webhookID, limit)
		if err != nil || len(deliveries) == 0 {
			return err
		}
		return loadAttempts(ctx, tx, deliveries)
	})
	if err != nil {
		return nil, wrapUnlessCoded("webhook deliveries", err)
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
	in, args := inList(ids)
	attempts, err := queryAll(ctx, q, func(row scanner) (*sipsim.DeliveryAttempt, error) {
		var (
			a  sipsim.DeliveryAttempt
			ns int64
		)
		err := row.Scan(&a.DeliveryID, &a.Attempt, timeCol{&a.At}, &a.StatusCode, &a.Error, &a.ResponseBody, &ns)
		a.Duration = time.Duration(ns)
		return &a, err
	}, `SELECT delivery_id, attempt, at, status_code, error, response_body, duration_ns
		FROM webhook_delivery_attempts WHERE delivery_id IN `+in+` ORDER BY delivery_id, attempt, id`, args...)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		d := byID[a.DeliveryID]
		d.AttemptLog = append(d.AttemptLog, a)
	}
	return nil
}
