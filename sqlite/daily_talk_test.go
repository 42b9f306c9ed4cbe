package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipsim/sipsim/storetest"
)

// Migration 010, undone by hand and applied again over ended calls.
func TestDailyTalkMigrationCountsExistingCalls(t *testing.T) {
	now := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	db := openTest(t, filepath.Join(t.TempDir(), "s.db"), func() time.Time { return now })
	storetest.RunDailyTalkMigration(t, db, now, func(ctx context.Context) error {
		for _, undo := range []string{
			"DROP TRIGGER calls_talk_on_insert", "DROP TRIGGER calls_talk_on_update", "DROP TABLE account_daily_talk",
			"CREATE INDEX calls_account_ended ON calls (account_id, ended_at, answered_at)",
			"DELETE FROM schema_migrations WHERE version = 10",
		} {
			if _, err := db.writer.ExecContext(ctx, undo); err != nil {
				return fmt.Errorf("%s: %w", undo, err)
			}
		}
		return migrate(ctx, db.writer, migrations, now)
	})
}
