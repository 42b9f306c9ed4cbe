package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testTokens(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	tests := []struct {
		name   string
		scopes []sipsim.Scope
	}{
		{"one scope", []sipsim.Scope{sipsim.ScopeCallsCreate}},
		{"every scope", sipsim.AllScopes},
	}
	var created []*sipsim.Token
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := &sipsim.Token{
				AccountID: sipsim.DefaultAccountID,
				Name:      "crm " + tt.name,
				Scopes:    tt.scopes,
				Hash:      sipsim.HashToken(sipsim.NewTokenSecret()),
			}
			must(t, e.s.CreateToken(e.ctx, tok))
			if tok.ID <= 0 {
				t.Fatalf("ID = %d, want a positive id", tok.ID)
			}
			if !tok.CreatedAt.Equal(e.clock.Now()) {
				t.Fatalf("CreatedAt = %s, want the clock's %s", tok.CreatedAt, e.clock.Now())
			}
			for _, c := range created {
				if c.ID == tok.ID {
					t.Fatalf("two tokens share id %d", tok.ID)
				}
			}
			created = append(created, tok)

			got, err := e.s.TokenByHash(e.ctx, tok.Hash)
			must(t, err)
			wantEqual(t, "TokenByHash", got, tok)
		})
	}
	t.Run("unknown hash", func(t *testing.T) {
		_, err := e.s.TokenByHash(e.ctx, sipsim.HashToken("sipsim_unknown"))
		wantCode(t, err, sipsim.ENOTFOUND, "Token not found")
	})
	t.Run("revoked", func(t *testing.T) {
		tok := created[0]
		wantCode(t, e.s.RevokeToken(e.ctx, OtherAccountID, tok.ID), sipsim.ENOTFOUND, "Token not found")
		must(t, e.s.RevokeToken(e.ctx, sipsim.DefaultAccountID, tok.ID))
		_, err := e.s.TokenByHash(e.ctx, tok.Hash)
		wantCode(t, err, sipsim.ENOTFOUND, "Token not found")
		wantCode(t, e.s.RevokeToken(e.ctx, sipsim.DefaultAccountID, tok.ID), sipsim.ENOTFOUND, "Token not found")
	})
}

func testOAuthClients(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	c := &sipsim.OAuthClient{AccountID: OtherAccountID, Name: "crm", ClientID: sipsim.NewClientID(),
		SecretHash: sipsim.HashToken("secret"), Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopePhonesRead}}
	must(t, e.s.CreateClient(e.ctx, c))
	got, err := e.s.ClientByClientID(e.ctx, c.ClientID)
	must(t, err)
	wantEqual(t, "ClientByClientID", got, c)
	dup := *c
	wantCode(t, e.s.CreateClient(e.ctx, &dup), sipsim.ECONFLICT, "OAuth client "+c.ClientID+" already exists")

	// An access token works until it expires, and not a moment after.
	issue := func(ttl time.Duration) *sipsim.Token {
		exp := e.clock.Now().Add(ttl)
		tok := &sipsim.Token{AccountID: c.AccountID, Name: "oauth", Scopes: c.Scopes, Hash: sipsim.HashToken(sipsim.NewTokenSecret()),
			ExpiresAt: &exp, ClientID: c.ClientID}
		must(t, e.s.CreateToken(e.ctx, tok))
		return tok
	}
	short, long := issue(time.Minute), issue(time.Hour)
	got2, err := e.s.TokenByHash(e.ctx, short.Hash)
	must(t, err)
	wantEqual(t, "access token", got2, short)
	e.clock.Advance(time.Minute)
	_, err = e.s.TokenByHash(e.ctx, short.Hash)
	wantCode(t, err, sipsim.ENOTFOUND, "Token not found")
	if _, err := e.s.TokenByHash(e.ctx, long.Hash); err != nil {
		t.Fatalf("the hour-long token after a minute: %v", err)
	}

	// Revoking the client ends every token issued to it at once.
	must(t, e.s.RevokeClient(e.ctx, c.ClientID))
	_, err = e.s.TokenByHash(e.ctx, long.Hash)
	wantCode(t, err, sipsim.ENOTFOUND, "Token not found")
	_, err = e.s.ClientByClientID(e.ctx, c.ClientID)
	wantCode(t, err, sipsim.ENOTFOUND, "OAuth client not found")
	wantCode(t, e.s.RevokeClient(e.ctx, c.ClientID), sipsim.ENOTFOUND, "OAuth client not found")
}
