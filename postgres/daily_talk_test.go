package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sipsim/sipsim/storetest"
)

// Migration 004, undone by hand and applied again over ended calls.
func TestDailyTalkMigrationCountsExistingCalls(t *testing.T) {
	now := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	_, url := newSchema(t)
	db := openTest(t, url, func() time.Time { return now })
	storetest.RunDailyTalkMigration(t, db, now, func(ctx context.Context) error {
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		for _, undo := range []string{
			"DROP TRIGGER calls_count_talk ON calls", "DROP FUNCTION calls_count_talk", "DROP TABLE account_daily_talk",
			"CREATE INDEX calls_account_ended ON calls (account_id, ended_at, answered_at)",
			"DELETE FROM schema_migrations WHERE version = 4",
		} {
			if _, err := conn.Exec(ctx, undo); err != nil {
				return fmt.Errorf("%s: %w", undo, err)
			}
		}
		return migrate(ctx, conn.Conn(), migrations, now)
	})
}
