package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipsim/sipsim"
)

// Faults of the database itself are simulated with SQLite: max_page_count
// caps the file's size as a full disk would (SQLITE_FULL), and a second
// connection holding the write lock plays another process (SQLITE_BUSY).
// Tests run as root, so file permissions could not make the file
// read-only.

// fillDisk caps the database at its current size: any write that needs a
// new page fails with SQLITE_FULL. The pragma belongs to the connection,
// so it is set on the store's single writer.
func fillDisk(t *testing.T, db *DB) {
	t.Helper()
	if _, err := db.writer.ExecContext(t.Context(), "PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
}

// freeDisk lifts the cap again (SQLite's default maximum).
func freeDisk(t *testing.T, db *DB) {
	t.Helper()
	if _, err := db.writer.ExecContext(t.Context(), "PRAGMA max_page_count = 4294967294"); err != nil {
		t.Fatal(err)
	}
}

// bigAudio needs hundreds of new pages.
func bigAudio() (*sipsim.AudioFile, []byte) {
	f := &sipsim.AudioFile{AccountID: sipsim.DefaultAccountID, Name: "big", ContentType: sipsim.AudioFileContentType, DurationSeconds: 60}
	return f, bytes.Repeat([]byte("sipsim"), 200_000)
}

func checkIntegrity(t *testing.T, db *DB) {
	t.Helper()
	var res string
	if err := db.reader.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
}

func TestDiskFullIsUnavailableAndKeepsStoredRows(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	kept := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "kept", Color: "#ff8800"}
	if err := db.CreateTag(ctx, kept); err != nil {
		t.Fatal(err)
	}

	fillDisk(t, db)
	f, data := bigAudio()
	err := db.CreateAudioFile(ctx, f, data)
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE || !strings.Contains(sipsim.ErrorMessage(err), "disk is full") {
		t.Fatalf("write on a full disk: code %q, message %q (%v); want unavailable, disk is full",
			sipsim.ErrorCode(err), sipsim.ErrorMessage(err), err)
	}
	// What was stored before is intact, and the failed write left nothing.
	got, err := db.Tag(ctx, sipsim.DefaultAccountID, kept.ID)
	if err != nil || got.Name != "kept" || got.Color != "#ff8800" {
		t.Fatalf("tag stored before the disk filled: %+v, %v", got, err)
	}
	if files, err := db.AudioFiles(ctx, sipsim.DefaultAccountID); err != nil || len(files) != 0 {
		t.Fatalf("audio files after the failed write: %d, %v; want none", len(files), err)
	}
	checkIntegrity(t, db)

	// Space is back: the same store, not reopened, takes the write.
	freeDisk(t, db)
	if err := db.CreateAudioFile(ctx, f, data); err != nil {
		t.Fatalf("write once space is freed: %v", err)
	}
	_, stored, err := db.AudioFileData(ctx, sipsim.DefaultAccountID, f.ID)
	if err != nil || !bytes.Equal(stored, data) {
		t.Fatalf("audio file written after the disk was freed: %d bytes, %v", len(stored), err)
	}
	checkIntegrity(t, db)
}

func TestLockedByAnotherProcessIsUnavailable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sipsim.db")
	db := openTest(t, path, fixedClock())
	// Not the 10 s of production: the test need not wait that long.
	if _, err := db.writer.ExecContext(ctx, "PRAGMA busy_timeout = 50"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	tag := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#ff8800"}
	err = db.CreateTag(ctx, tag)
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE || !strings.Contains(sipsim.ErrorMessage(err), "locked") {
		t.Fatalf("write while another process holds the lock: code %q, message %q (%v)",
			sipsim.ErrorCode(err), sipsim.ErrorMessage(err), err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTag(ctx, tag); err != nil {
		t.Fatalf("write once the lock is released: %v", err)
	}
}

// Only faults of the database itself become 503s: a constraint keeps its
// own code, and a broken statement stays an internal error, whose cause
// the API must not show.
func TestOnlyDatabaseFaultsAreUnavailable(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	tag := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#ff8800"}
	if err := db.CreateTag(ctx, tag); err != nil {
		t.Fatal(err)
	}
	dup := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#ff8800"}
	if code := sipsim.ErrorCode(db.CreateTag(ctx, dup)); code != sipsim.ECONFLICT {
		t.Errorf("duplicate tag name: code %q, want conflict", code)
	}
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO no_such_table VALUES (1)")
		return err
	})
	if code := sipsim.ErrorCode(err); err == nil || code != sipsim.EINTERNAL {
		t.Errorf("broken statement: code %q (%v), want internal", code, err)
	}
}

// Every read of a database whose file cannot be opened is EUNAVAILABLE
// (503 for the API user), never an uncoded error that would be a 500, the
// reads whose statements were prepared and kept before the file went away
// included.
func TestEveryReadOfAnUnopenableDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipsim.db")
	db := openTest(t, path, fixedClock())
	db.reader.SetMaxIdleConns(0) // every read opens a connection
	ctx, a, now := t.Context(), sipsim.DefaultAccountID, fixedClock()()
	reads := map[string]func() error{
		"Account":               func() error { _, err := db.Account(ctx, a); return err },
		"AccountBySIPDomain":    func() error { _, err := db.AccountBySIPDomain(ctx, "sipsim"); return err },
		"Accounts":              func() error { _, err := db.Accounts(ctx); return err },
		"ActiveCall":            func() error { _, err := db.ActiveCall(ctx, a, 1); return err },
		"ActiveCalls":           func() error { _, err := db.ActiveCalls(ctx); return err },
		"AudioFile":             func() error { _, err := db.AudioFile(ctx, a, 1); return err },
		"AudioFileData":         func() error { _, _, err := db.AudioFileData(ctx, a, 1); return err },
		"AudioFiles":            func() error { _, err := db.AudioFiles(ctx, a); return err },
		"Call":                  func() error { _, err := db.Call(ctx, a, "call_x"); return err },
		"CallEvents":            func() error { _, err := db.CallEvents(ctx, a, "call_x"); return err },
		"Calls":                 func() error { _, err := db.Calls(ctx, sipsim.CallFilter{AccountID: a}); return err },
		"ClientByClientID":      func() error { _, err := db.ClientByClientID(ctx, "cl"); return err },
		"Events":                func() error { _, err := db.Events(ctx, sipsim.EventFilter{AccountID: a}); return err },
		"LatestEventID":         func() error { _, err := db.LatestEventID(ctx, a); return err },
		"Phone":                 func() error { _, err := db.Phone(ctx, a, 1); return err },
		"PhoneByInternalNumber": func() error { _, err := db.PhoneByInternalNumber(ctx, a, 101); return err },
		"Phones":                func() error { _, err := db.Phones(ctx, sipsim.PhoneFilter{AccountID: a}); return err },
		"RecentCall":            func() error { _, err := db.RecentCall(ctx, a, 1, "+33612345678", now); return err },
		"LiveBindings":          func() error { _, err := db.LiveBindings(ctx, a, now); return err },
		"TokenAndListVersion":   func() error { _, _, err := db.TokenAndListVersion(ctx, "h", sipsim.ListPhones); return err },
		"Registrations":         func() error { _, err := db.Registrations(ctx, 1, now); return err },
		"Tag":                   func() error { _, err := db.Tag(ctx, a, 1); return err },
		"Tags":                  func() error { _, err := db.Tags(ctx, a); return err },
		"TalkTime":              func() error { _, err := db.TalkTime(ctx, a, now); return err },
		"TokenByHash":           func() error { _, err := db.TokenByHash(ctx, "h"); return err },
		"Webhook":               func() error { _, err := db.Webhook(ctx, a, 1); return err },
		"WebhookDeliveries":     func() error { _, err := db.WebhookDeliveries(ctx, a, 1, 10); return err },
		"Webhooks":              func() error { _, err := db.Webhooks(ctx, a); return err },
	}
	for name, read := range reads {
		if err := read(); err != nil && sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			t.Fatalf("%s before the file went away: %v", name, err)
		}
	}
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, read := range reads {
		if err := read(); sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE {
			t.Errorf("%s: error %v (code %q), want %s", name, err, sipsim.ErrorCode(err), sipsim.EUNAVAILABLE)
		}
	}
}
