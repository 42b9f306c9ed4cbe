package storetest

import (
	"testing"

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
}
