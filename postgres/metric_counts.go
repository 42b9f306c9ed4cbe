package postgres

import (
	"context"
	"time"
)

// LiveRegistrationCount returns how many bindings the node nodeID took
// that have not expired at now.
func (db *DB) LiveRegistrationCount(ctx context.Context, nodeID string, now time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM registrations WHERE node_id = $1 AND expires_at > $2`,
		nodeID, storedTime(now)).Scan(&n)
	if err != nil {
		return 0, wrap("count registrations", err)
	}
	return n, nil
}

// PendingDeliveryCount returns how many webhook deliveries, of every
// account, are pending: a walk of the partial index on pending ones.
func (db *DB) PendingDeliveryCount(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n)
	if err != nil {
		return 0, wrap("count pending deliveries", err)
	}
	return n, nil
}
