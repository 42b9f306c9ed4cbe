package sqlite

import (
	"context"
	"fmt"
	"time"
)

// LiveRegistrationCount returns how many bindings the node nodeID took
// that have not expired at now.
func (db *DB) LiveRegistrationCount(ctx context.Context, nodeID string, now time.Time) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM registrations WHERE node_id = ? AND expires_at > ?`,
		nodeID, encodeTime(now)).Scan(&n)
	if err != nil {
		return 0, unreadable(fmt.Errorf("count registrations: %w", err))
	}
	return n, nil
}

// PendingDeliveryCount returns how many webhook deliveries are pending:
// a walk of the partial index webhook_deliveries_due.
func (db *DB) PendingDeliveryCount(ctx context.Context) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n)
	if err != nil {
		return 0, unreadable(fmt.Errorf("count pending deliveries: %w", err))
	}
	return n, nil
}
