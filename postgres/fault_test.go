package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sipsim/sipsim"
)

// Faults of the database are real ones: a TCP relay between the store and
// the server plays the network (cut, then back), an administrator ends the
// store's session, and default_transaction_read_only plays a read-only
// server (a standby answers the same SQLSTATE).

// closedPort returns a loopback address nothing listens on.
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

// withHost returns the connection string base aimed at addr (host:port).
func withHost(t *testing.T, base, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " host=" + host + " port=" + port
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// serverAddr is the host:port of the test server.
func serverAddr(t *testing.T) string {
	t.Helper()
	cfg, err := pgconn.ParseConfig(testServerURL())
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// relay forwards TCP connections from its address to a target, until cut.
type relay struct {
	t      *testing.T
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

// startRelay listens on addr ("127.0.0.1:0" for any port) and forwards to
// target. It is cut when t ends.
func startRelay(t *testing.T, addr, target string) *relay {
	t.Helper()
	r := &relay{t: t, target: target}
	r.listen(addr)
	t.Cleanup(r.cut)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln = ln
	r.wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed by cut
			}
			server, err := net.Dial("tcp", r.target)
			if err != nil {
				client.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, client, server)
			r.mu.Unlock()
			r.wg.Go(func() { io.Copy(server, client); server.Close() })
			r.wg.Go(func() { io.Copy(client, server); client.Close() })
		}
	})
}

// cut closes the listener and every relayed connection, as a network
// failure between the node and the database would: nothing gets through
// and new connections are refused.
func (r *relay) cut() {
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
	r.mu.Unlock()
	r.wg.Wait()
}

// restore listens again on the same address.
func (r *relay) restore() { r.listen(r.addr()) }

func wantUnavailable(t *testing.T, what string, err error, msgPart string) {
	t.Helper()
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE || !strings.Contains(sipsim.ErrorMessage(err), msgPart) {
		t.Fatalf("%s: code %q, message %q (%v); want unavailable, %q",
			what, sipsim.ErrorCode(err), sipsim.ErrorMessage(err), err, msgPart)
	}
}

// The network to the database goes down: reads and writes are
// unavailable, not internal errors; when it comes back the same store,
// not reopened, serves again and what was stored before is intact.
func TestConnectionLostIsUnavailableAndRecovers(t *testing.T) {
	_, url := newSchema(t)
	r := startRelay(t, "127.0.0.1:0", serverAddr(t))
	db := openTest(t, withHost(t, url, r.addr()), fixedClock())
	ctx := t.Context()
	kept := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "kept", Color: "#ff8800"}
	if err := db.CreateTag(ctx, kept); err != nil {
		t.Fatal(err)
	}

	r.cut()
	_, err := db.Tags(ctx, sipsim.DefaultAccountID)
	wantUnavailable(t, "read while the database is unreachable", err, "cannot be reached")
	err = db.CreateTag(ctx, &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lost", Color: "#000000"})
	wantUnavailable(t, "write while the database is unreachable", err, "cannot be reached")
	_, err = db.Calls(ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID})
	wantUnavailable(t, "read in a transaction while the database is unreachable", err, "cannot be reached")

	r.restore()
	tags, err := db.Tags(ctx, sipsim.DefaultAccountID)
	if err != nil || len(tags) != 1 || tags[0].Name != "kept" {
		t.Fatalf("tags once the database is back = %v, %v; want the one stored before", tags, err)
	}
	if err := db.CreateTag(ctx, &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "after", Color: "#000000"}); err != nil {
		t.Fatalf("write once the database is back: %v", err)
	}
}

// An administrator (or a server restart) ends the store's session while a
// write waits in it: the write is unavailable, and the next one runs on a
// new connection.
func TestSessionTerminatedIsUnavailable(t *testing.T) {
	_, url := newSchema(t)
	db := openTest(t, url, fixedClock())
	ctx := t.Context()
	p := phoneOf(t, db, 1)
	admin := rawConn(t, url)

	// Hold the account's row so that a limited CreateCall waits on it.
	blocker, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", sipsim.DefaultAccountID); err != nil {
		t.Fatal(err)
	}
	limits := sipsim.CallLimits{MaxConcurrentCalls: 5}
	created := make(chan error, 1)
	go func() {
		created <- db.CreateCall(ctx, initiating("call_cut", p.ID), &sipsim.CallEvent{Type: sipsim.EventCallCreated}, limits)
	}()

	// The store's session is the one the blocker blocks.
	other := rawConn(t, url)
	var pid uint32
	for pid == 0 {
		err := other.QueryRow(ctx, `SELECT COALESCE(max(pid), 0) FROM pg_stat_activity
			WHERE $1 = ANY (pg_blocking_pids(pid))`, admin.PgConn().PID()).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-created:
			t.Fatalf("CreateCall returned (%v) while the account row was locked", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := other.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	wantUnavailable(t, "write whose session was terminated", <-created, "")
	if err := blocker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	c := initiating("call_after", p.ID)
	if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, limits); err != nil {
		t.Fatalf("write after the session was terminated: %v", err)
	}
}

// A read-only database (a standby, or default_transaction_read_only)
// refuses writes as unavailable and still serves reads.
func TestReadOnlyIsUnavailableForWrites(t *testing.T) {
	_, url := newSchema(t)
	writable := openTest(t, url, fixedClock())
	ctx := t.Context()
	kept := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "kept", Color: "#ff8800"}
	if err := writable.CreateTag(ctx, kept); err != nil {
		t.Fatal(err)
	}

	db := openTest(t, withParam(t, url, "default_transaction_read_only", "on"), fixedClock())
	err := db.CreateTag(ctx, &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lost", Color: "#000000"})
	wantUnavailable(t, "write to a read-only database", err, "read-only")
	err = db.CreateCall(ctx, initiating("call_ro", 1), &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{})
	wantUnavailable(t, "call on a read-only database", err, "read-only")
	got, err := db.Tag(ctx, sipsim.DefaultAccountID, kept.ID)
	if err != nil || got.Name != "kept" {
		t.Fatalf("read on a read-only database: %+v, %v", got, err)
	}
}

// Only faults of the database itself become 503s: a constraint keeps its
// own code, and a broken statement stays an internal error, whose cause
// the API must not show.
func TestOnlyDatabaseFaultsAreUnavailable(t *testing.T) {
	ctx := t.Context()
	db := openFresh(t, fixedClock())
	tag := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#ff8800"}
	if err := db.CreateTag(ctx, tag); err != nil {
		t.Fatal(err)
	}
	dup := &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#ff8800"}
	if code := sipsim.ErrorCode(db.CreateTag(ctx, dup)); code != sipsim.ECONFLICT {
		t.Errorf("duplicate tag name: code %q, want conflict", code)
	}
	err := wrap("broken", db.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO no_such_table VALUES (1)")
		return err
	}))
	if code := sipsim.ErrorCode(err); err == nil || code != sipsim.EINTERNAL {
		t.Errorf("broken statement: code %q (%v), want internal", code, err)
	}
}

func TestClassify(t *testing.T) {
	coded := sipsim.Errorf(sipsim.ECONFLICT, "taken")
	for _, tt := range []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"disk full", &pgconn.PgError{Code: "53100"}, sipsim.EUNAVAILABLE, "disk is full"},
		{"read-only", &pgconn.PgError{Code: "25006"}, sipsim.EUNAVAILABLE, "read-only"},
		{"administrator ended the session", &pgconn.PgError{Code: "57P01"}, sipsim.EUNAVAILABLE, "restarting"},
		{"server starting", &pgconn.PgError{Code: "57P03"}, sipsim.EUNAVAILABLE, "restarting"},
		{"connection failure", &pgconn.PgError{Code: "08006"}, sipsim.EUNAVAILABLE, "cannot be reached"},
		{"too many connections", &pgconn.PgError{Code: "53300"}, sipsim.EUNAVAILABLE, "overloaded"},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, sipsim.EUNAVAILABLE, "retry shortly"},
		{"connection dropped", io.ErrUnexpectedEOF, sipsim.EUNAVAILABLE, "cannot be reached"},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, sipsim.EUNAVAILABLE, "cannot be reached"},
		{"NUL in text", &pgconn.PgError{Code: "22021"}, sipsim.EINVALID, "UTF-8"},
		{"unique violation", &pgconn.PgError{Code: "23505"}, sipsim.EINTERNAL, "Internal error"},
		{"syntax error", &pgconn.PgError{Code: "42601"}, sipsim.EINTERNAL, "Internal error"},
		{"caller gave up", context.Canceled, sipsim.EINTERNAL, "Internal error"},
		{"already coded", coded, sipsim.ECONFLICT, "taken"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err)
			if sipsim.ErrorCode(err) != tt.code || !strings.Contains(sipsim.ErrorMessage(err), tt.msg) {
				t.Fatalf("classify = code %q, message %q; want %q, %q", sipsim.ErrorCode(err), sipsim.ErrorMessage(err), tt.code, tt.msg)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("classify dropped the cause: %v", err)
			}
		})
	}
}

// A database that accepts the connection but never answers (a hung server,
// a black-holed route) is unavailable once connect_timeout passes, not an
// internal error and not a hang.
func TestSilentServerIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // held open, never answered
		}
	}()
	u := withHost(t, "postgres://postgres@127.0.0.1/test?sslmode=disable&connect_timeout=1", ln.Addr().String())
	db, err := Open(t.Context(), u, fixedClock())
	if err == nil {
		db.Close()
		t.Fatal("Open on a server that never answers succeeded")
	}
	wantUnavailable(t, "open on a server that never answers", err, "cannot be reached")
}
