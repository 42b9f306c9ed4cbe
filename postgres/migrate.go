package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migrations is the schema history: files named NNN_name.sql, applied in
// the order of NNN. A file, once released, is never edited: changes go in
// a new file.
var migrations = mustSub(embedded, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant that the embed directive guarantees
	}
	return sub
}

var migrationName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.sql$`)

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the *.sql files at the root of fsys, sorted by
// version. A file whose name does not follow NNN_name.sql, or two files
// with the same version, are errors rather than silently skipped.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNN_name.sql", e.Name())
		}
		v, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("migrations %s and %s have the same version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

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
	ms, err := loadMigrations(fsys)
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
		if applied[m.version] {
			continue
		}
		if err := applyMigration(ctx, conn, m, now); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// applyMigration runs m's statements and records m in one transaction.
// The statements go as one simple-protocol query, which PostgreSQL runs
// as one script.
func applyMigration(ctx context.Context, conn *pgx.Conn, m migration, now time.Time) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
	if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
