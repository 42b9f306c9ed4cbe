package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sipsim/sipsim"
)

// allEventTypes is the webhook_event_types row of a webhook that wants
// every event type (an empty EventTypes).
const allEventTypes = "*"

func errWebhookNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Webhook not found") }

// CreateWebhook stores w and sets its ID and CreatedAt.
func (db *DB) CreateWebhook(ctx context.Context, w *sipsim.Webhook) error {
	now := db.stamp()
	types := w.EventTypes
	if len(types) == 0 {
		types = []string{allEventTypes}
	}
	err := db.write(ctx, func(tx writeTx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO webhooks (account_id, url, secret, description, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			w.AccountID, w.URL, w.Secret, w.Description, encodeTime(now)).Scan(&w.ID)
		if err != nil {
			return err
		}
		for i, typ := range types {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO webhook_event_types (account_id, webhook_id, position, event_type)
				VALUES (?, ?, ?, ?)`, w.AccountID, w.ID, i, typ); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.ID = 0
		return fmt.Errorf("create webhook: %w", err)
	}
	w.CreatedAt = now
	return nil
}

// Webhook returns one webhook of the account, secret included.
func (db *DB) Webhook(ctx context.Context, accountID, id int64) (*sipsim.Webhook, error) {
	var hooks []*sipsim.Webhook
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		hooks, err = findWebhooks(ctx, tx, "WHERE account_id = ? AND id = ?", accountID, id)
		return err
	})
	if err != nil {
		return nil, unreadable(fmt.Errorf("webhook %d: %w", id, err))
	}
	if len(hooks) == 0 {
		return nil, errWebhookNotFound()
	}
	return hooks[0], nil
}

// Webhooks lists the account's webhooks by id.
func (db *DB) Webhooks(ctx context.Context, accountID int64) ([]*sipsim.Webhook, error) {
	var hooks []*sipsim.Webhook
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		hooks, err = findWebhooks(ctx, tx, "WHERE account_id = ? ORDER BY id", accountID)
		return err
	})
	if err != nil {
		return nil, unreadable(fmt.Errorf("webhooks: %w", err))
	}
	return hooks, nil
}

// DeleteWebhook removes a webhook with its deliveries and their attempts.
// Events stay: they belong to the calls.
func (db *DB) DeleteWebhook(ctx context.Context, accountID, id int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		var found bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE account_id = ? AND id = ?)`,
			accountID, id).Scan(&found)
		if err != nil {
			return err
		}
		if !found {
			return errWebhookNotFound()
		}
		for _, q := range []string{
			`DELETE FROM webhook_delivery_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)`,
			`DELETE FROM webhook_deliveries WHERE webhook_id = ?`,
			`DELETE FROM webhook_event_types WHERE webhook_id = ?`,
			`DELETE FROM webhooks WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapUnlessCoded("delete webhook", err)
}

// findWebhooks returns the webhooks selected by where, with their event
// types (one more query for all of them).
func findWebhooks(ctx context.Context, q querier, where string, args ...any) ([]*sipsim.Webhook, error) {
	hooks, err := queryAll(ctx, q, func(row scanner) (*sipsim.Webhook, error) {
		var w sipsim.Webhook
		err := row.Scan(&w.ID, &w.AccountID, &w.URL, &w.Secret, &w.Description, timeCol{&w.CreatedAt})
		return &w, err
	}, "SELECT id, account_id, url, secret, description, created_at FROM webhooks "+where, args...)
	if err != nil || len(hooks) == 0 {
		return hooks, err
	}
	byID := make(map[int64]*sipsim.Webhook, len(hooks))
	ids := make([]int64, len(hooks))
	for i, w := range hooks {
		byID[w.ID], ids[i] = w, w.ID
	}
	in, idArgs := inList(ids)
	type row struct {
		webhookID int64
		eventType string
	}
	types, err := queryAll(ctx, q, func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.webhookID, &r.eventType)
		return r, err
	}, "SELECT webhook_id, event_type FROM webhook_event_types WHERE webhook_id IN "+in+" ORDER BY webhook_id, position", idArgs...)
	if err != nil {
		return nil, err
	}
	for _, r := range types {
		if r.eventType != allEventTypes {
			w := byID[r.webhookID]
			w.EventTypes = append(w.EventTypes, r.eventType)
		}
	}
	return hooks, nil
}
