package sqlite

import (
	"database/sql"
	"github.com/sipsim/sipsim/internal/storesql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// openRaw opens a bare writer connection, as Open does, without migrating.
func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func tables(t *testing.T, db *sql.DB) string {
	t.Helper()
	return strings.Join(queryStrings(t, db,
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"), ",")
}

// queryStrings returns the first column of every row of query.
func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func versions(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

var migrateNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

func TestMigrateOrderAndIdempotence(t *testing.T) {
	db := openRaw(t)
	ctx := t.Context()
	// Numeric order, not file-name order: 10 comes after 9.
	fsys := fstest.MapFS{
		"010_c.sql": {Data: []byte("ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE c (id INTEGER);")},
		"009_b.sql": {Data: []byte("ALTER TABLE a ADD COLUMN x TEXT;")},
		"001_a.sql": {Data: []byte("CREATE TABLE a (id INTEGER);")},
		"README.md": {Data: []byte("not a migration")},
	}
	for range 2 {
		if err := migrate(ctx, db, fsys, migrateNow); err != nil {
			t.Fatal(err)
		}
		if got := versions(t, db); got != "001_a.sql,009_b.sql,010_c.sql" {
			t.Fatalf("applied = %s", got)
		}
	}

	// A new migration on a later open is applied alone.
	fsys["011_d.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE d (id INTEGER);")}
	if err := migrate(ctx, db, fsys, migrateNow); err != nil {
		t.Fatal(err)
	}
	if got := tables(t, db); got != "a,c,d,schema_migrations" {
		t.Fatalf("tables = %s", got)
	}
}

// TestMigrateFailureLeavesNoTrace checks that a migration failing half way
// is rolled back whole and not recorded, and that the ones before it stay.
func TestMigrateFailureLeavesNoTrace(t *testing.T) {
	db := openRaw(t)
	fsys := fstest.MapFS{
		"001_a.sql": {Data: []byte("CREATE TABLE a (id INTEGER);")},
		"002_b.sql": {Data: []byte("CREATE TABLE b (id INTEGER); INSERT INTO nowhere VALUES (1);")},
	}
	err := migrate(t.Context(), db, fsys, migrateNow)
	if err == nil || !strings.Contains(err.Error(), "002_b.sql") {
		t.Fatalf("err = %v, want a failure naming 002_b.sql", err)
	}
	if got := tables(t, db); got != "a,schema_migrations" {
		t.Fatalf("tables = %s, want table b rolled back", got)
	}
	if got := versions(t, db); got != "001_a.sql" {
		t.Fatalf("applied = %s", got)
	}
}

// TestEmbeddedMigrations checks the shipped files load, in order.
func TestEmbeddedMigrations(t *testing.T) {
	ms, err := storesql.LoadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("embedded migrations = %v, want 001 first", ms)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Version <= ms[i-1].Version {
			t.Fatalf("migration %s after %s", ms[i].Name, ms[i-1].Name)
		}
	}
}
