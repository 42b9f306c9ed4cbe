package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/internal/storesql"
)

// rawConn connects to url as Open's migration step does, without
// migrating, and closes the connection when t ends.
func rawConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryStrings returns the first column of every row of query.
func queryStrings(t *testing.T, q querier, query string, args ...any) string {
	t.Helper()
	rows, err := q.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(s, ",")
}

func tables(t *testing.T, conn *pgx.Conn, schema string) string {
	t.Helper()
	return queryStrings(t, conn, "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
}

func versions(t *testing.T, q querier) string {
	t.Helper()
	return queryStrings(t, q, "SELECT name FROM schema_migrations ORDER BY version")
}

var migrateNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

func TestMigrateOrderAndIdempotence(t *testing.T) {
	schema, url := newSchema(t)
	conn := rawConn(t, url)
	ctx := t.Context()
	// Numeric order, not file-name order: 10 comes after 9.
	fsys := fstest.MapFS{
		"010_c.sql": {Data: []byte("ALTER TABLE a ADD COLUMN y text; CREATE TABLE c (id bigint);")},
		"009_b.sql": {Data: []byte("ALTER TABLE a ADD COLUMN x text;")},
		"001_a.sql": {Data: []byte("CREATE TABLE a (id bigint);")},
		"README.md": {Data: []byte("not a migration")},
	}
	for range 2 {
		if err := migrate(ctx, conn, fsys, migrateNow); err != nil {
			t.Fatal(err)
		}
		if got := versions(t, conn); got != "001_a.sql,009_b.sql,010_c.sql" {
			t.Fatalf("applied = %s", got)
		}
	}

	// A new migration on a later open is applied alone.
	fsys["011_d.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE d (id bigint);")}
	if err := migrate(ctx, conn, fsys, migrateNow); err != nil {
		t.Fatal(err)
	}
	if got := tables(t, conn, schema); got != "a,c,d,schema_migrations" {
		t.Fatalf("tables = %s", got)
	}
}

// TestMigrateFailureLeavesNoTrace checks that a migration failing half way
// is rolled back whole and not recorded, and that the ones before it stay.
func TestMigrateFailureLeavesNoTrace(t *testing.T) {
	schema, url := newSchema(t)
	conn := rawConn(t, url)
	fsys := fstest.MapFS{
		"001_a.sql": {Data: []byte("CREATE TABLE a (id bigint);")},
		"002_b.sql": {Data: []byte("CREATE TABLE b (id bigint); INSERT INTO nowhere VALUES (1);")},
	}
	err := migrate(t.Context(), conn, fsys, migrateNow)
	if err == nil || !strings.Contains(err.Error(), "002_b.sql") {
		t.Fatalf("err = %v, want a failure naming 002_b.sql", err)
	}
	if got := tables(t, conn, schema); got != "a,schema_migrations" {
		t.Fatalf("tables = %s, want table b rolled back", got)
	}
	if got := versions(t, conn); got != "001_a.sql" {
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

// Nodes of a cluster start together on an empty database: every Open
// succeeds, each migration is applied once (a second run of 001 would fail
// on tables that exist), and there is one default account.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	const nodes = 5
	_, url := newSchema(t)
	ms, err := storesql.LoadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}

	dbs := make([]*DB, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range nodes {
		// Each node's clock tells which one applied a migration.
		at := migrateNow.Add(time.Duration(i) * time.Hour)
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = Open(t.Context(), url, func() time.Time { return at })
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}

	rows, err := dbs[0].pool.Query(t.Context(), "SELECT version, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	type applied struct {
		Version int
		At      time.Time
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[applied])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", len(got), len(ms))
	}
	for i, m := range ms {
		if got[i].Version != m.Version {
			t.Fatalf("recorded versions %v, want those of %v", got, ms)
		}
	}
	accounts, err := dbs[nodes-1].Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].ID != sipsim.DefaultAccountID {
		t.Fatalf("accounts = %v, want the default one once", accounts)
	}
	// The default account was seeded by the node that migrated, under the
	// same lock.
	if !accounts[0].CreatedAt.Equal(got[0].At) {
		t.Errorf("default account created at %s, migration applied at %s: want the same node", accounts[0].CreatedAt, got[0].At)
	}
}

// A node that starts while another holds the migration lock waits for it,
// then opens.
func TestOpenWaitsForMigrationLock(t *testing.T) {
	_, url := newSchema(t)
	holder := rawConn(t, url)
	ctx := t.Context()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		db, err := Open(ctx, url, fixedClock())
		if err == nil {
			db.Close()
		}
		opened <- err
	}()

	// Wait until the new node is queued on the lock: PostgreSQL lists a
	// lock it has not granted yet.
	classID, objID := uint32(migrationLockKey>>32), uint32(migrationLockKey&0xffff_ffff)
	for {
		var waiting bool
		err := holder.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND classid = $1 AND objid = $2 AND objsubid = 1 AND NOT granted)`, classID, objID).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-opened:
			t.Fatalf("Open returned (%v) while the migration lock was held", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open after the lock was released: %v", err)
	}
}
