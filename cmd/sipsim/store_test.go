package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/postgres"
)

// The PostgreSQL tests need a server they may create schemas on; each test
// works in a schema of its own, dropped at the end.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testPostgresURL() string {
	if u := os.Getenv("SIPSIM_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestPostgres
}

// newTestSchema creates an empty schema, dropped with everything in it when
// t ends, and returns the test server's URL with search_path set to it.
// Without a server the test fails: it is not skipped.
func newTestSchema(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "sipsim_cmd_test_" + hex.EncodeToString(b)
	exec := func(ctx context.Context, sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testPostgresURL())
		if err != nil {
			return fmt.Errorf("PostgreSQL is not reachable: %w\n"+
				"these tests need a server they may create schemas on; set SIPSIM_TEST_POSTGRES to its URL (default %s)",
				err, defaultTestPostgres)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
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

// An operator with a PostgreSQL database creates an account, then a token
// for it, with the URL given as --db and then as SIPSIM_DB; the token is in
// that database, where every node finds it.
func TestTokenCreateOnPostgreSQL(t *testing.T) {
	dbURL := newTestSchema(t)
	dataDir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"account", "create", "--name", "Acme", "--sip-domain", "acme.example.com", "--country", "FR", "--db", dbURL, "--data-dir", dataDir},
		func(string) string { return "" }, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("account create: %v\n%s", err, errOut.String())
	}
	account := lastLine(out.String())

	out.Reset()
	errOut.Reset()
	env := map[string]string{"SIPSIM_DB": dbURL, "SIPSIM_DATA_DIR": dataDir}
	err = run(t.Context(), []string{"token", "create", "--scopes", "calls.create,phones.read", "--name", "crm", "--account", account},
		func(k string) string { return env[k] }, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut.String())
	}
	secret := lastLine(out.String())

	db, err := postgres.Open(t.Context(), dbURL, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, err := db.TokenByHash(t.Context(), sipsim.HashToken(secret))
	if err != nil {
		t.Fatalf("the token printed is not in PostgreSQL: %v", err)
	}
	if fmt.Sprint(tok.AccountID) != account || tok.Name != "crm" ||
		!slices.Equal(tok.Scopes, []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopePhonesRead}) {
		t.Errorf("stored token: account %d, name %q, scopes %v; want account %s, crm, calls.create+phones.read",
			tok.AccountID, tok.Name, tok.Scopes, account)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("the data dir holds %d entries, want none: the database is PostgreSQL", len(entries))
	}
}

// A PostgreSQL server that cannot be reached makes the administration
// commands and serve fail, saying so, without showing the password; they
// give up rather than wait for ever.
func TestUnreachablePostgreSQLFailsClearly(t *testing.T) {
	const password = "hunter2-not-logged"
	silent := silentListener(t)
	tests := []struct {
		name, dbURL string
	}{
		{"closed port", fmt.Sprintf("postgres://sipsim:%s@%s/sipsim?sslmode=disable", password, closedPort(t))},
		{"server that never answers", fmt.Sprintf("postgres://sipsim:%s@%s/sipsim?sslmode=disable&connect_timeout=1", password, silent)},
	}
	commands := [][]string{
		{"token", "create", "--scopes", "calls.create"},
		{"serve", "--http-addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0"},
	}
	for _, tt := range tests {
		for _, args := range commands {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				args := append(slices.Clone(args), "--db", tt.dbURL, "--data-dir", t.TempDir())
				errOut, err := runBounded(t, args)
				if err == nil || exitCode(err) != 1 {
					t.Fatalf("sipsim %s: err %v (exit %d), want a failure (exit 1)\n%s", args[0], err, exitCode(err), errOut)
				}
				if !strings.Contains(errOut, "open database postgres://sipsim:xxxxx@127.0.0.1:") || !strings.Contains(errOut, "failed to connect") {
					t.Errorf("stderr does not say that connecting to the database at the (redacted) URL failed:\n%s", errOut)
				}
				if strings.Contains(errOut, password) {
					t.Errorf("stderr shows the database password:\n%s", errOut)
				}
			})
		}
	}
}

// runBounded runs sipsim with args, failing t if it has not returned after
// a minute: a bad database must end the command, not hang it.
func runBounded(t *testing.T, args []string) (stderr string, err error) {
	t.Helper()
	// The buffers are read only once run has returned.
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { done <- run(ctx, args, func(string) string { return "" }, nil, &out, &errOut) }()
	select {
	case err = <-done:
		return errOut.String(), err
	case <-time.After(time.Minute):
		cancel()
		<-done
		t.Fatalf("sipsim %s still running after a minute with an unreachable database\n%s", args[0], errOut.String())
		return "", nil
	}
}

// closedPort is a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener is a loopback address that accepts connections and never
// says a word, as a server behind a black-holing firewall would appear.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The database URL goes to the log and to error messages; a password it
// carries, wherever it carries it, must not.
func TestRedactDBURLHidesPasswords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://sipsim:s3cret@db.example.com:5432/sipsim?sslmode=require",
			"postgres://sipsim:xxxxx@db.example.com:5432/sipsim?sslmode=require"},
		{"postgresql://sipsim@db/sipsim?password=s3cret&search_path=node",
			"postgresql://sipsim@db/sipsim?password=xxxxx&search_path=node"},
		{"postgres://sipsim@db/sipsim?sslmode=verify-full&sslpassword=s3cret",
			"postgres://sipsim@db/sipsim?sslmode=verify-full&sslpassword=xxxxx"},
		{"postgres://sipsim:s3cret@db:notaport/%zz", "(unparsable database URL)"},
		{"postgres://db/sipsim?connect_timeout=5", "postgres://db/sipsim?connect_timeout=5"},
	}
	for _, tt := range tests {
		if got := redactDBURL(tt.in); got != tt.want {
			t.Errorf("redactDBURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
