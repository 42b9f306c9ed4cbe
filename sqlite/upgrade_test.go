package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sipsim/sipsim"
)

// TestUpgradeKeepsOldEvents opens a database written by the first schema:
// its events, stored without a call snapshot, come back with a nil Call,
// and the call takes new events with snapshots.
func TestUpgradeKeepsOldEvents(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	first, err := fs.ReadFile(migrations, "001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, raw, fstest.MapFS{"001_init.sql": {Data: first}}, migrateNow); err != nil {
		t.Fatal(err)
	}
	const at = "2024-06-20T14:00:00.000000Z"
	for _, q := range []string{
		`INSERT INTO accounts (id, name, sip_realm, country, created_at) VALUES (1, 'default', 'sipsim', 'FR', '` + at + `')`,
		`INSERT INTO calls (id, account_id, phone_id, target_number, caller_id, direction, source, status, ended_reason,
			created_at, updated_at, agent_status, agent_sip_code, agent_contact, target_status, target_sip_code, target_contact)
			VALUES ('call_old', 1, 7, '+33698765432', '', 'outbound', 'api', 'ringing_agent', '',
			'` + at + `', '` + at + `', 'ringing', 0, '', 'idle', 0, '')`,
		`INSERT INTO call_events (account_id, call_id, type, status, at)
			VALUES (1, 'call_old', 'call.created', 'initiating', '` + at + `')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openTest(t, path, fixedClock())
	events, err := db.Events(ctx, sipsim.EventFilter{AccountID: sipsim.DefaultAccountID})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 6, 20, 14, 0, 0, 0, time.UTC)
	if len(events) != 1 || events[0].Call != nil || events[0].CallID != "call_old" ||
		events[0].Type != sipsim.EventCallCreated || !events[0].At.Equal(want) {
		t.Fatalf("old events = %+v, want call.created of call_old at %s without a snapshot", events, want)
	}

	c, err := db.Call(ctx, sipsim.DefaultAccountID, "call_old")
	if err != nil {
		t.Fatal(err)
	}
	c.Status = sipsim.CallNoAnswer
	if err := db.UpdateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallEnded}); err != nil {
		t.Fatal(err)
	}
	events, err = db.CallEvents(ctx, sipsim.DefaultAccountID, "call_old")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Call != nil || events[1].Call == nil || events[1].Call.Status != sipsim.CallNoAnswer {
		t.Fatalf("events after the upgrade = %+v, want the old one bare and the new one with its snapshot", events)
	}
}
