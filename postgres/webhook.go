package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

func errWebhookNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Webhook not found") }

const webhookSelect = "SELECT id, account_id, url, secret, description, event_types, created_at FROM webhooks "

func scanWebhook(row pgx.Row) (*sipsim.Webhook, error) {
	var w sipsim.Webhook
	err := row.Scan(&w.ID, &w.AccountID, &w.URL, &w.Secret, &w.Description, &w.EventTypes, &w.CreatedAt)
	if len(w.EventTypes) == 0 {
		w.EventTypes = nil // every type, as the SQLite store returns it
	}
	return &w, err
}

// CreateWebhook stores w and sets its ID and CreatedAt. No event types
// means every type.
func (db *DB) CreateWebhook(ctx context.Context, w *sipsim.Webhook) error {
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO webhooks (account_id, url, secret, description, event_types, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		w.AccountID, w.URL, w.Secret, w.Description, textArray(w.EventTypes), now).Scan(&w.ID)
	if err != nil {
		w.ID = 0
		return wrap("create webhook", err)
	}
	w.CreatedAt = now
	return nil
}

// Webhook returns one webhook of the account, secret included.
func (db *DB) Webhook(ctx context.Context, accountID, id int64) (*sipsim.Webhook, error) {
	hooks, err := queryAll(ctx, db.pool, scanWebhook, webhookSelect+"WHERE account_id = $1 AND id = $2", accountID, id)
	if err != nil {
		return nil, wrap("webhook", err)
	}
	if len(hooks) == 0 {
		return nil, errWebhookNotFound()
	}
	return hooks[0], nil
}

// Webhooks lists the account's webhooks by id.
func (db *DB) Webhooks(ctx context.Context, accountID int64) ([]*sipsim.Webhook, error) {
	hooks, err := queryAll(ctx, db.pool, scanWebhook, webhookSelect+"WHERE account_id = $1 ORDER BY id", accountID)
	return hooks, wrap("webhooks", err)
}

// DeleteWebhook removes a webhook with its deliveries and their attempts,
// by cascade. Events stay: they belong to the calls. An event stored
// meanwhile share-locks the webhook before it queues a delivery for it,
// so the delete waits for it and takes its delivery too, or it waits for
// the delete and queues none (see insertEventQuery).
func (db *DB) DeleteWebhook(ctx context.Context, accountID, id int64) error {
	err := execOne(ctx, db.pool, errWebhookNotFound, `DELETE FROM webhooks WHERE account_id = $1 AND id = $2`, accountID, id)
	return wrap("delete webhook", err)
}
