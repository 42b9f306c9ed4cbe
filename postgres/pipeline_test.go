package postgres

import (
	"testing"

	"github.com/sipsim/sipsim"
)

// backendPID is the server process behind the pool's only connection.
func backendPID(t *testing.T, db *DB) int {
	t.Helper()
	var pid int
	if err := db.pool.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// A pipelined write refused half way (by the database, by a limit, or by
// its condition) rolls back and hands its connection back to the pool
// whole: on a pool of one connection, the same session serves every
// request after the refusals (the pool closes a connection given back
// inside a transaction), and nothing of the refused writes is stored.
func TestRefusedPipelinedWritesKeepTheirConnection(t *testing.T) {
	_, url := newSchema(t)
	db := openTest(t, withParam(t, url, "pool_max_conns", "1"), fixedClock())
	ctx := t.Context()
	p := phoneOf(t, db, 1)
	pid := backendPID(t, db)

	active := initiating("call_active", p.ID)
	if err := db.CreateCall(ctx, active, &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		what string
		code string
		err  func() error
	}{
		{"a second active call for the phone", sipsim.ECONFLICT, func() error {
			return db.CreateCall(ctx, initiating("call_busy", p.ID), &sipsim.CallEvent{Type: sipsim.EventCallCreated}, sipsim.CallLimits{})
		}},
		{"a call over the account's limit", sipsim.ERATELIMIT, func() error {
			other := phoneOf(t, db, 2)
			return db.CreateCall(ctx, initiating("call_limited", other.ID), &sipsim.CallEvent{Type: sipsim.EventCallCreated},
				sipsim.CallLimits{MaxConcurrentCalls: 1})
		}},
		{"a save by a node that no longer runs the call", sipsim.ECONFLICT, func() error {
			stale := active.Clone()
			stale.NodeID, stale.Status = "node_other", sipsim.CallRingingAgent
			return db.UpdateCall(ctx, stale, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent})
		}},
		{"a save of a call that does not exist", sipsim.ENOTFOUND, func() error {
			return db.UpdateCall(ctx, initiating("call_missing", p.ID), &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent})
		}},
	}
	for _, r := range refusals {
		if code := sipsim.ErrorCode(r.err()); code != r.code {
			t.Errorf("%s: error code %q, want %q", r.what, code, r.code)
		}
		if got := backendPID(t, db); got != pid {
			t.Errorf("after %s the pool's connection is a new session (%d, was %d)", r.what, got, pid)
			pid = got
		}
		if db.pool.Stat().TotalConns() != 1 {
			t.Errorf("after %s the pool holds %d connections, want 1", r.what, db.pool.Stat().TotalConns())
		}
	}
	for _, id := range []string{"call_busy", "call_limited", "call_missing"} {
		if _, err := db.Call(ctx, sipsim.DefaultAccountID, id); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			t.Errorf("refused %s: Call error %v, want ENOTFOUND", id, err)
		}
	}
	events, err := db.CallEvents(ctx, sipsim.DefaultAccountID, active.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != sipsim.EventCallCreated {
		t.Errorf("events of the active call after the refused save: %d, want its creation only", len(events))
	}
	// The session still writes: the call's next step is saved.
	active.Status = sipsim.CallRingingAgent
	if err := db.UpdateCall(ctx, active, &sipsim.CallEvent{Type: sipsim.EventCallRingingAgent}); err != nil {
		t.Fatalf("a save after the refusals: %v", err)
	}
}
