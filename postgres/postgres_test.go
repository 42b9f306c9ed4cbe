package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/storetest"
)

// The tests need a PostgreSQL server they may create schemas on. Each
// store gets a schema of its own, dropped at the end, so tests do not see
// each other's rows.
const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testServerURL() string {
	if u := os.Getenv("SIPSIM_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestURL
}

// serverProbe remembers whether the test server answered, so that without
// one every test fails at once with the same message instead of waiting
// out a connection timeout each.
var serverProbe struct {
	once sync.Once
	err  error
}

// adminConn connects to the test server, failing t with what to do when it
// cannot: the tests are not skipped without a database.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	serverProbe.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testServerURL())
		if err == nil {
			conn.Close(ctx)
		}
		serverProbe.err = err
	})
	var conn *pgx.Conn
	err := serverProbe.err
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, err = pgx.Connect(ctx, testServerURL())
	}
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable: %v\n"+
			"The postgres tests need a server they may create schemas on; set SIPSIM_TEST_POSTGRES to its URL (default %s)",
			err, defaultTestURL)
	}
	return conn
}

// newSchema creates an empty schema, dropped with everything in it when t
// ends, and returns its name and the URL of the test server with
// search_path set to it.
func newSchema(t testing.TB) (name, url string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name = "sipsim_test_" + hex.EncodeToString(b)
	conn := adminConn(t)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := adminConn(t)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name, withParam(t, testServerURL(), "search_path", name)
}

// withParam returns the connection string base with one more setting,
// base being a URL or keyword/value pairs.
func withParam(t testing.TB, base, key, value string) string {
	t.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " " + key + "=" + value
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTest opens the store at url and closes it when t ends.
func openTest(t testing.TB, url string, now func() time.Time) *DB {
	t.Helper()
	db, err := Open(t.Context(), url, now)
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

// openFresh opens a store on a new schema.
func openFresh(t testing.TB, now func() time.Time) *DB {
	t.Helper()
	_, url := newSchema(t)
	return openTest(t, url, now)
}

func fixedClock() func() time.Time {
	at := time.Date(2024, 6, 20, 14, 45, 0, 0, time.UTC)
	return func() time.Time { return at }
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		db := openFresh(t, now)
		// The suite's second account: the first one created takes the id
		// after the default account's.
		other := &sipsim.Account{Name: "other", SIPDomain: "other", Country: "FR"}
		if err := db.CreateAccount(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		if other.ID != storetest.OtherAccountID {
			t.Fatalf("second account has id %d, want %d", other.ID, storetest.OtherAccountID)
		}
		return db
	})
}

func TestOpenRejects(t *testing.T) {
	ctx := t.Context()
	if db, err := Open(ctx, defaultTestURL, nil); err == nil {
		db.Close()
		t.Error("Open without a clock succeeded, want an error")
	}
	for _, url := range []string{"", "postgres://127.0.0.1:5432/test?sslmode=bogus", "host=127.0.0.1 port=notaport"} {
		if db, err := Open(ctx, url, fixedClock()); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", url)
		}
	}
}

// A server that cannot be reached is a fault of the database, not of the
// request.
func TestOpenUnreachableIsUnavailable(t *testing.T) {
	addr := closedPort(t)
	_, err := Open(t.Context(), withHost(t, testServerURL(), addr), fixedClock())
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE || !strings.Contains(sipsim.ErrorMessage(err), "cannot be reached") {
		t.Fatalf("Open of a closed port: code %q, message %q (%v); want unavailable, cannot be reached",
			sipsim.ErrorCode(err), sipsim.ErrorMessage(err), err)
	}
}

// TestReopen checks that data survives close and reopen, and that reopening
// applies no migration twice and adds no account.
func TestReopen(t *testing.T) {
	_, url := newSchema(t)
	ctx := t.Context()
	db, err := Open(ctx, url, fixedClock())
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
		db = openTest(t, url, fixedClock())
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
		accounts, err := db.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 {
			t.Fatalf("%d accounts after reopen, want the default one only", len(accounts))
		}
		db.Close()
	}
}

func appliedMigrations(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), "SELECT name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no migration recorded")
	}
	return names
}

func TestDefaultAccount(t *testing.T) {
	db := openFresh(t, fixedClock())
	a, err := db.Account(t.Context(), sipsim.DefaultAccountID)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 6, 20, 14, 45, 0, 0, time.UTC)
	if a.Name != "default" || a.SIPDomain != "sipsim" || a.Country != "FR" || a.CreatedAt != want {
		t.Fatalf("default account = %+v; want default, sipsim, FR, created %s in UTC", a, want)
	}
	next := &sipsim.Account{Name: "next", SIPDomain: "next.example.com", Country: "FR"}
	if err := db.CreateAccount(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	if next.ID != sipsim.DefaultAccountID+1 {
		t.Fatalf("first account created has id %d, want %d", next.ID, sipsim.DefaultAccountID+1)
	}
}

// TestActiveConditionMatchesIndex keeps the Go list of active statuses and
// the partial index's WHERE clause in step: if they drifted, the database
// would enforce a different rule than the code reads. PostgreSQL rewrites
// the clause of an index it stores, so the condition is compared with the
// one of an index built from activeCondition.
func TestActiveConditionMatchesIndex(t *testing.T) {
	db := openFresh(t, fixedClock())
	ctx := t.Context()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "CREATE TABLE probe (phone_id bigint, status text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE INDEX probe_active ON probe (phone_id) WHERE "+activeCondition); err != nil {
		t.Fatal(err)
	}
	predicate := func(index string) string {
		var p string
		err := tx.QueryRow(ctx, `SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = $1::regclass`, index).Scan(&p)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got, want := predicate("calls_one_active_per_phone"), predicate("probe_active"); got != want {
		t.Fatalf("index condition is\n%s\nactiveCondition gives\n%s", got, want)
	}
}

func TestSaveRegistrationUnknownPhone(t *testing.T) {
	db := openFresh(t, fixedClock())
	err := db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID,
		PhoneID: 42, Contact: "sip:101@192.0.2.1", ExpiresAt: time.Now().Add(time.Hour)})
	if sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}

// A device whose User-Agent is not UTF-8 (a Latin-1 name) or holds a NUL
// still registers: text columns cannot hold those bytes, so the store
// keeps the header as valid UTF-8 and says so on the value saved.
func TestRegistrationUserAgentNotUTF8(t *testing.T) {
	db := openFresh(t, fixedClock())
	ctx := t.Context()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive, InternalNumber: 101}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	r := &sipsim.Registration{AccountID: sipsim.DefaultAccountID, PhoneID: p.ID, Contact: "sip:101@192.0.2.1",
		UserAgent: "T\xe9l\xe9phone\x00 2", ExpiresAt: fixedClock()().Add(time.Hour)}
	if err := db.SaveRegistration(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.UserAgent != "T\uFFFDl\uFFFDphone 2" {
		t.Fatalf("UserAgent saved as %q", r.UserAgent)
	}
	regs, err := db.Registrations(ctx, p.ID, fixedClock()())
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) != 1 || regs[0].UserAgent != r.UserAgent {
		t.Fatalf("registrations = %+v, want the one saved with UserAgent %q", regs, r.UserAgent)
	}
}

// TestConstraintErrors checks the user-facing errors of the checks that
// the API validates first but the schema enforces anyway.
func TestConstraintErrors(t *testing.T) {
	db := openFresh(t, fixedClock())
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
		{"text with a NUL", sipsim.Phone{Name: "a\x00b", InternalNumber: 100, Status: sipsim.PhoneActive}, sipsim.EINVALID, "Text must be UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.AccountID = sipsim.DefaultAccountID
			err := db.CreatePhone(ctx, &p)
			if sipsim.ErrorCode(err) != tt.code || !strings.HasPrefix(sipsim.ErrorMessage(err), tt.msg) {
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

// SIP domains compare without the case of ASCII letters only, as SQLite's
// NOCASE does, whatever the database's locale.
func TestSIPDomainCaseIsASCII(t *testing.T) {
	db := openFresh(t, fixedClock())
	ctx := t.Context()
	a := &sipsim.Account{Name: "Café", SIPDomain: "café.example.com", Country: "FR"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := db.AccountBySIPDomain(ctx, "CAFé.EXAMPLE.COM"); err != nil || got.ID != a.ID {
		t.Fatalf("ASCII letters in another case: %v, %v; want account %d", got, err, a.ID)
	}
	if _, err := db.AccountBySIPDomain(ctx, "cafÉ.example.com"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("a non-ASCII letter in another case: %v; want ENOTFOUND", err)
	}
	other := &sipsim.Account{Name: "Other café", SIPDomain: "cafÉ.example.com", Country: "FR"}
	if err := db.CreateAccount(ctx, other); err != nil {
		t.Fatalf("a domain differing in a non-ASCII letter's case: %v; want it created", err)
	}
}

// TestReadsDoNotWaitForWrites holds a write transaction open and reads
// meanwhile: the read must see the last committed state at once, whatever
// the writer has locked.
func TestReadsDoNotWaitForWrites(t *testing.T) {
	db := openFresh(t, fixedClock())
	ctx := t.Context()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := &sipsim.Call{ID: "call_1", AccountID: sipsim.DefaultAccountID, PhoneID: p.ID, Status: sipsim.CallInitiating}
	if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	for _, q := range []string{
		"UPDATE phones SET name = 'Renamed'",
		"UPDATE calls SET status = 'completed'",
		"SELECT 1 FROM accounts FOR UPDATE",
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
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
	active, err := db.ActiveCall(readCtx, sipsim.DefaultAccountID, p.ID)
	if err != nil || active.ID != c.ID {
		t.Fatalf("active call during a write: %v, %v; want %s", active, err, c.ID)
	}
	if _, err := db.Account(readCtx, sipsim.DefaultAccountID); err != nil {
		t.Fatalf("account read while its row is locked: %v", err)
	}
}
