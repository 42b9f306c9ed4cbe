package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), now)
		// The suite's second account; the store API does not create
		// accounts.
		_, err := db.writer.ExecContext(t.Context(), `
			INSERT INTO accounts (id, name, sip_realm, country, created_at)
			VALUES (?, 'other', 'other', 'FR', '2024-01-01T00:00:00.000000Z')`, storetest.OtherAccountID)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// openTest opens the store at path and closes it when t ends.
func openTest(t testing.TB, path string, now func() time.Time) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func fixedClock() func() time.Time {
	at := time.Date(2024, 6, 20, 14, 45, 0, 0, time.UTC)
	return func() time.Time { return at }
}

func TestOpenRejects(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	for _, path := range []string{"", ":memory:", "file:x.db", filepath.Join(dir, "a?b.db")} {
		if db, err := Open(ctx, path, fixedClock()); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
	if db, err := Open(ctx, filepath.Join(dir, "x.db"), nil); err == nil {
		db.Close()
		t.Error("Open without a clock succeeded, want an error")
	}
	if _, err := Open(ctx, filepath.Join(dir, "missing", "x.db"), fixedClock()); err == nil {
		t.Error("Open in a missing directory succeeded, want an error")
	}
}

// TestPragmas checks the settings the durability and concurrency of the
// store rest on, on both pools.
func TestPragmas(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	ctx := t.Context()
	for _, tt := range []struct {
		pool   string
		conn   *sql.DB
		pragma string
		want   string
	}{
		{"writer", db.writer, "journal_mode", "wal"},
		{"writer", db.writer, "synchronous", "1"}, // NORMAL
		{"writer", db.writer, "foreign_keys", "1"},
		{"writer", db.writer, "busy_timeout", "10000"},
		{"reader", db.reader, "journal_mode", "wal"},
		{"reader", db.reader, "query_only", "1"},
		{"reader", db.reader, "busy_timeout", "10000"},
	} {
		var got string
		if err := tt.conn.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tt.pool, tt.pragma, got, tt.want)
		}
	}
}

// TestReopen checks that data survives close and reopen, and that reopening
// applies no migration twice.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipsim.db")
	ctx := t.Context()
	db, err := Open(ctx, path, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR", SIPRealm: "sipsim"}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := &sipsim.Call{ID: "call_1", AccountID: sipsim.DefaultAccountID, PhoneID: p.ID,
		TargetNumber: "+33698765432", Status: sipsim.CallRingingAgent}
	if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		db = openTest(t, path, fixedClock())
		if got := appliedMigrations(t, db); strings.Join(got, ",") != strings.Join(before, ",") {
			t.Fatalf("migrations after reopen = %v, want %v", got, before)
		}
		got, err := db.Phone(ctx, sipsim.DefaultAccountID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Desk" || got.Number != p.Number {
			t.Fatalf("phone after reopen = %+v", got)
		}
		active, err := db.ActiveCalls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || active[0].ID != c.ID {
			t.Fatalf("active calls after reopen = %v, want %s", active, c.ID)
		}
		var accounts int
		if err := db.reader.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&accounts); err != nil {
			t.Fatal(err)
		}
		if accounts != 1 {
			t.Fatalf("%d accounts after reopen, want the default one only", accounts)
		}
		db.Close()
	}
}

func appliedMigrations(t *testing.T, db *DB) []string {
	t.Helper()
	names := queryStrings(t, db.reader, "SELECT name FROM schema_migrations ORDER BY version")
	if len(names) == 0 {
		t.Fatal("no migration recorded")
	}
	return names
}

func TestDefaultAccount(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	var name, realm, country, created string
	err := db.reader.QueryRowContext(t.Context(),
		"SELECT name, sip_realm, country, created_at FROM accounts WHERE id = ?", sipsim.DefaultAccountID).
		Scan(&name, &realm, &country, &created)
	if err != nil {
		t.Fatal(err)
	}
	if name != "default" || realm != "sipsim" || country != "FR" || created != "2024-06-20T14:45:00.000000Z" {
		t.Fatalf("default account = %s, %s, %s, %s", name, realm, country, created)
	}
}

// TestReadsDoNotWaitForWrites holds a write transaction open and reads
// meanwhile: the read must see the last committed state at once.
func TestReadsDoNotWaitForWrites(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	ctx := t.Context()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}

	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE phones SET name = 'Renamed' WHERE id = ?", p.ID); err != nil {
		t.Fatal(err)
	}

	// A read that waited for the writer would hit this deadline instead of
	// returning; the deadline is a guard against hanging, not a timing
	// assertion.
	readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	got, err := db.Phone(readCtx, sipsim.DefaultAccountID, p.ID)
	if err != nil {
		t.Fatalf("read during a write: %v", err)
	}
	if got.Name != "Desk" {
		t.Fatalf("read saw uncommitted name %q", got.Name)
	}
}

// TestReaderIsReadOnly makes sure no write can slip through the reader
// pool, where it would bypass the single-writer queue.
func TestReaderIsReadOnly(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	if _, err := db.reader.ExecContext(t.Context(), "DELETE FROM accounts"); err == nil {
		t.Fatal("write through the reader pool succeeded")
	}
}

// TestActiveConditionMatchesIndex keeps the Go list of active statuses and
// the partial index's WHERE clause in step: if they drifted, the database
// would enforce a different rule than the code reads.
func TestActiveConditionMatchesIndex(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	var def string
	err := db.reader.QueryRowContext(t.Context(),
		"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'calls_one_active_per_phone'").Scan(&def)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(def), "WHERE "+activeCondition) {
		t.Fatalf("index is\n%s\nwant it to end with WHERE %s", def, activeCondition)
	}
}

func TestSaveRegistrationUnknownPhone(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	err := db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID,
		PhoneID: 42, Contact: "sip:101@192.0.2.1", ExpiresAt: time.Now().Add(time.Hour)})
	if sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}

// TestConstraintErrors checks the user-facing errors of the checks that
// the API validates first but the schema enforces anyway.
func TestConstraintErrors(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	ctx := t.Context()
	for _, tt := range []struct {
		name string
		p    sipsim.Phone
		code string
		msg  string
	}{
		{"internal number too small", sipsim.Phone{InternalNumber: 99, Status: sipsim.PhoneActive}, sipsim.EINVALID, "internal_number must be between 100 and 999"},
		{"internal number too large", sipsim.Phone{InternalNumber: 1000, Status: sipsim.PhoneActive}, sipsim.EINVALID, "internal_number must be between 100 and 999"},
		{"unknown status", sipsim.Phone{InternalNumber: 100, Status: "paused"}, sipsim.EINVALID, "status must be one of"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.AccountID = sipsim.DefaultAccountID
			err := db.CreatePhone(ctx, &p)
			if sipsim.ErrorCode(err) != tt.code || sipsim.ErrorMessage(err) != tt.msg && !strings.HasPrefix(sipsim.ErrorMessage(err), tt.msg) {
				t.Fatalf("err = %v, want %s %q", err, tt.code, tt.msg)
			}
		})
	}

	// Phones without a number yet do not collide with each other.
	for _, n := range []int{200, 201} {
		p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, InternalNumber: n, Status: sipsim.PhoneNotActivated}
		if err := db.CreatePhone(ctx, p); err != nil {
			t.Fatalf("phone %d without a number: %v", n, err)
		}
	}

	tok := &sipsim.Token{AccountID: sipsim.DefaultAccountID, Hash: sipsim.HashToken("x")}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	dup := &sipsim.Token{AccountID: sipsim.DefaultAccountID, Hash: tok.Hash}
	if err := db.CreateToken(ctx, dup); sipsim.ErrorCode(err) != sipsim.ECONFLICT {
		t.Fatalf("duplicate token hash: err = %v, want ECONFLICT", err)
	}

	c := &sipsim.Call{ID: "call_dup", AccountID: sipsim.DefaultAccountID, PhoneID: 1, Status: sipsim.CallCompleted}
	if err := db.CreateCall(ctx, c, nil, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCall(ctx, c, nil, sipsim.CallLimits{}); sipsim.ErrorCode(err) != sipsim.ECONFLICT {
		t.Fatalf("duplicate call id: err = %v, want ECONFLICT", err)
	}
	bad := &sipsim.Call{ID: "call_bad", AccountID: sipsim.DefaultAccountID, PhoneID: 1, Status: "ringing"}
	if err := db.CreateCall(ctx, bad, nil, sipsim.CallLimits{}); sipsim.ErrorCode(err) != sipsim.EINVALID {
		t.Fatalf("unknown call status: err = %v, want EINVALID", err)
	}
}
