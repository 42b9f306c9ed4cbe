package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// testListVersions runs one write after another on one store and checks,
// after each, which list versions of the default account moved: the API
// serves a list it rendered before for as long as its version stands, so
// a write that changes what a list shows without raising its version
// would show users stale data.
func testListVersions(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	// The versions are read as the API reads them: with a token of the
	// account.
	ours, theirs := listToken(t, e, sipsim.DefaultAccountID), listToken(t, e, OtherAccountID)
	version := func(tok *sipsim.Token, list sipsim.List) int64 {
		t.Helper()
		got, v, err := e.s.TokenAndListVersion(e.ctx, tok.Hash, list)
		must(t, err)
		wantEqual(t, "token read with the version", got, tok)
		return v
	}
	versions := func() (phones, calls, other int64) {
		t.Helper()
		return version(ours, sipsim.ListPhones), version(ours, sipsim.ListCalls), version(theirs, sipsim.ListPhones)
	}
	phones, calls, other := versions()
	if phones != 0 || calls != 0 || other != 0 {
		t.Fatalf("versions before any write = %d, %d, %d; want 0", phones, calls, other)
	}

	p := fullPhone(1)
	var c *sipsim.Call
	tag := newTag(sipsim.DefaultAccountID, "vip")
	contact := "sip:101@192.0.2.1:5060"
	steps := []struct {
		name                    string
		write                   func() error
		phonesMoved, callsMoved bool
	}{
		{"phone created", func() error { return e.s.CreatePhone(e.ctx, p) }, true, false},
		{"phone updated", func() error { p.Name = "Front desk"; return e.s.UpdatePhone(e.ctx, p) }, true, false},
		{"phone registered", func() error {
			return e.s.SaveRegistration(e.ctx, registration(p, contact, e.clock.Now().Add(time.Hour)))
		}, true, false},
		{"live binding refreshed", func() error {
			e.clock.Advance(time.Minute)
			return e.s.SaveRegistration(e.ctx, registration(p, contact, e.clock.Now().Add(time.Hour)))
		}, false, false},
		{"binding refreshed to expire sooner", func() error {
			return e.s.SaveRegistration(e.ctx, registration(p, contact, e.clock.Now().Add(time.Minute)))
		}, true, false},
		{"expired binding registered again", func() error {
			e.clock.Advance(2 * time.Minute)
			return e.s.SaveRegistration(e.ctx, registration(p, contact, e.clock.Now().Add(time.Hour)))
		}, true, false},
		{"binding removed", func() error { return e.s.DeleteRegistration(e.ctx, p.ID, contact) }, true, false},
		{"every binding removed", func() error {
			must(t, e.s.SaveRegistration(e.ctx, registration(p, contact, e.clock.Now().Add(time.Hour))))
			return e.s.DeleteRegistrations(e.ctx, p.ID)
		}, true, false},
		{"call created", func() error {
			c = newCall("call_versions", p.ID)
			return e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{})
		}, false, true},
		{"call updated", func() error {
			c.Status = sipsim.CallRingingAgent
			return e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallRingingAgent, e.clock.Now()))
		}, false, true},
		{"tag created, on no call", func() error { return e.s.CreateTag(e.ctx, tag) }, false, false},
		{"call tagged", func() error { return e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, tag.ID) }, false, true},
		{"tag renamed", func() error { tag.Name = "VIP"; return e.s.UpdateTag(e.ctx, tag) }, false, true},
		{"call untagged", func() error { return e.s.UntagCall(e.ctx, sipsim.DefaultAccountID, c.ID, tag.ID) }, false, true},
		{"tag on a call deleted", func() error {
			must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, tag.ID))
			_, calls, _ = versions()
			return e.s.DeleteTag(e.ctx, sipsim.DefaultAccountID, tag.ID)
		}, false, true},
		{"call ended", func() error {
			finish(c, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Now())
			return e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallEnded, e.clock.Now()))
		}, false, true},
		{"phone deleted", func() error { return e.s.DeletePhone(e.ctx, sipsim.DefaultAccountID, p.ID) }, true, false},
	}
	for _, step := range steps {
		must(t, step.write())
		gotPhones, gotCalls, gotOther := versions()
		if moved := gotPhones > phones; moved != step.phonesMoved || gotPhones < phones {
			t.Errorf("%s: phones version %d → %d, want moved=%t", step.name, phones, gotPhones, step.phonesMoved)
		}
		if moved := gotCalls > calls; moved != step.callsMoved || gotCalls < calls {
			t.Errorf("%s: calls version %d → %d, want moved=%t", step.name, calls, gotCalls, step.callsMoved)
		}
		if gotOther != other {
			t.Errorf("%s: another account's phones version moved %d → %d", step.name, other, gotOther)
		}
		phones, calls = gotPhones, gotCalls
	}
}

// listToken stores a token of account that reads phones and calls.
func listToken(t *testing.T, e *env, account int64) *sipsim.Token {
	t.Helper()
	tok := &sipsim.Token{AccountID: account, Name: "poller", Hash: sipsim.HashToken(sipsim.NewTokenSecret()),
		Scopes: []sipsim.Scope{sipsim.ScopePhonesRead, sipsim.ScopeCallsRead}}
	must(t, e.s.CreateToken(e.ctx, tok))
	return tok
}

// testTokenAndListVersion checks the token half of the combined read: it
// finds what TokenByHash finds, and nothing TokenByHash would refuse.
func testTokenAndListVersion(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	tok := listToken(t, e, sipsim.DefaultAccountID)
	got, v, err := e.s.TokenAndListVersion(e.ctx, tok.Hash, sipsim.ListPhones)
	must(t, err)
	wantEqual(t, "token", got, tok)
	if v != 0 {
		t.Fatalf("version of a list never written = %d, want 0", v)
	}

	_, _, err = e.s.TokenAndListVersion(e.ctx, sipsim.HashToken("sipsim_unknown"), sipsim.ListPhones)
	wantCode(t, err, sipsim.ENOTFOUND, "Token not found")

	exp := e.clock.Now().Add(time.Minute)
	short := &sipsim.Token{AccountID: sipsim.DefaultAccountID, Name: "short", Hash: sipsim.HashToken(sipsim.NewTokenSecret()),
		Scopes: []sipsim.Scope{sipsim.ScopePhonesRead}, ExpiresAt: &exp}
	must(t, e.s.CreateToken(e.ctx, short))
	e.clock.Advance(time.Minute)
	_, _, err = e.s.TokenAndListVersion(e.ctx, short.Hash, sipsim.ListPhones)
	wantCode(t, err, sipsim.ENOTFOUND, "Token not found")

	must(t, e.s.RevokeToken(e.ctx, sipsim.DefaultAccountID, tok.ID))
	_, _, err = e.s.TokenAndListVersion(e.ctx, tok.Hash, sipsim.ListPhones)
	wantCode(t, err, sipsim.ENOTFOUND, "Token not found")
}

// testConcurrentTokenReads reads tokens and list versions from many
// goroutines at once, as the API does under load, while one of them
// writes: every read gets its own token and its own list's version (a
// store may answer concurrent reads together), and a read made after a
// write returns sees that write.
func testConcurrentTokenReads(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	ours, theirs := listToken(t, e, sipsim.DefaultAccountID), listToken(t, e, OtherAccountID)
	unknown := sipsim.HashToken("sipsim_unknown")
	const readers, reads = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	for r := range readers {
		wg.Go(func() {
			for i := range reads {
				var err error
				switch (r + i) % 4 {
				case 0:
					var got *sipsim.Token
					if got, err = e.s.TokenByHash(e.ctx, ours.Hash); err == nil && got.ID != ours.ID {
						err = fmt.Errorf("TokenByHash(ours) = token %d, want %d", got.ID, ours.ID)
					}
				case 1:
					var got *sipsim.Token
					if got, _, err = e.s.TokenAndListVersion(e.ctx, theirs.Hash, sipsim.ListCalls); err == nil && got.ID != theirs.ID {
						err = fmt.Errorf("TokenAndListVersion(theirs) = token %d, want %d", got.ID, theirs.ID)
					}
				case 2:
					var v int64
					// The other account's phones never change here.
					if _, v, err = e.s.TokenAndListVersion(e.ctx, theirs.Hash, sipsim.ListPhones); err == nil && v != 0 {
						err = fmt.Errorf("other account's phones version = %d, want 0", v)
					}
				case 3:
					if _, _, err = e.s.TokenAndListVersion(e.ctx, unknown, sipsim.ListPhones); sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
						err = nil
					} else if err == nil {
						err = errors.New("unknown token found")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		last := int64(0)
		for i := range reads {
			if err := e.s.CreatePhone(e.ctx, fullPhone(i+1)); err != nil {
				errs <- err
				return
			}
			_, v, err := e.s.TokenAndListVersion(e.ctx, ours.Hash, sipsim.ListPhones)
			if err == nil && v <= last {
				err = fmt.Errorf("phones version after phone %d was created = %d, not above %d", i+1, v, last)
			}
			if err != nil {
				errs <- err
				return
			}
			last = v
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
