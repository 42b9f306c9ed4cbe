package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim/internal/storesql"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migrations is the schema history (see storesql.Migration).
var migrations = storesql.Sub(embedded, "migrations")

// lockMigrations takes the cluster's migration lock for the session of
// conn, waiting while another node holds it. It is a session lock, not a
// transaction one, because each migration commits on its own; it ends
// when conn closes.
func lockMigrations(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return nil
}

// migrate applies the migrations of fsys that schema_migrations does not
// list yet, each in its own transaction together with its
// schema_migrations row, so that a failed migration leaves no trace and a
// reopen applies nothing twice. The caller holds the migration lock, so
// that no other node migrates meanwhile. A schema that is up to date is
// only read, so that a read-only database still opens.
func migrate(ctx context.Context, conn *pgx.Conn, fsys fs.FS, now time.Time) error {
	ms, err := storesql.LoadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `
			CREATE TABLE schema_migrations (
				version    bigint PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL
			)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, v := range versions {
		applied[v] = true
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if err := applyMigration(ctx, conn, m, now); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// applyMigration runs m's statements and records m in one transaction.
// The statements go as one simple-protocol query, which PostgreSQL runs
// as one script.
func applyMigration(ctx context.Context, conn *pgx.Conn, m storesql.Migration, now time.Time) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
	if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
