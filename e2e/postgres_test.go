package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A node on PostgreSQL places a click-to-call end to end as one on SQLite
// does; the call and its timeline live in the database, not in the data
// directory, and are there after a restart.
func TestPostgresCallCompletesAndSurvivesRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Postgres: true},
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "1000"}},
	})
	c := r.startCall(t)
	if code := r.carrier.wait(30 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, answered, hung up)", code)
	}
	want := callWant{
		Status: "completed", Reason: "target_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	}
	assertCall(t, waitCallEnded(t, r.api, c.ID, 20*time.Second), want)

	status, events := storedCall(t, r.srv.DBURL, c.ID)
	if status != "completed" || !slices.Equal(events, answeredEvents) {
		t.Errorf("in PostgreSQL the call is %q with events %v, want completed with %v", status, events, answeredEvents)
	}
	if _, err := os.Stat(filepath.Join(r.srv.DataDir, "sipsim.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite database is in the data dir (stat: %v): the node should use PostgreSQL only", err)
	}
	if !strings.Contains(r.srv.logs.String(), `msg="opening the database" backend=postgresql`) {
		t.Error("the server log does not say the database is PostgreSQL")
	}

	r.srv.stop()
	r.srv.restart()
	assertCall(t, r.api.call(c.ID), want)
}

// storedCall reads a call's status and event types, oldest first, straight
// from the database at dbURL.
func storedCall(t *testing.T, dbURL, id string) (status string, events []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, `SELECT status FROM calls WHERE id = $1`, id).Scan(&status); err != nil {
		t.Fatalf("call %s in PostgreSQL: %v", id, err)
	}
	rows, err := conn.Query(ctx, `SELECT type FROM call_events WHERE call_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	events, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return status, events
}

// The PostgreSQL server the tests may create schemas on.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testPostgresURL() string {
	if u := os.Getenv("SIPSIM_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestPostgres
}

// newPostgresSchema creates an empty schema on the test server, dropped
// with everything in it when t ends, and returns the server's URL with
// search_path set to it: a database of the test's own. Without a server
// the test fails; it is not skipped.
func newPostgresSchema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "sipsim_e2e_" + hex.EncodeToString(b)
	if err := execAdmin(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	// Registered before the server's own cleanup, so it runs after the
	// server has stopped and closed its connections.
	t.Cleanup(func() {
		if err := execAdmin(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(testPostgresURL())
	if err != nil {
		t.Fatalf("SIPSIM_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// execAdmin runs one statement on the test server.
func execAdmin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testPostgresURL())
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable: %w\n"+
			"the PostgreSQL e2e tests need a server they may create schemas on; set SIPSIM_TEST_POSTGRES to its URL (default %s)",
			err, defaultTestPostgres)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
