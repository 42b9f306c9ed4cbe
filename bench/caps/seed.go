package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// Extensions are 100 to 999, so one account holds at most 900 phones:
// more phones take more accounts, each with its own SIP domain and token,
// as tenants of one server would.
const (
	firstExtension   = 100
	phonesPerAccount = 900
)

// unlimited is every account limit raised out of the way: the benchmark
// measures how many calls the server can place, not its quotas.
var unlimited = sipsim.AccountLimits{
	AllowedCountries:       []string{"FR"},
	MaxConcurrentCalls:     1_000_000,
	DailyMinutes:           1_000_000,
	CallsPerMinutePerToken: 1_000_000,
	CallsPerMinutePerPhone: 1_000_000,
}

// phone is one seeded phone: what the load driver posts and how the phone
// registers.
type phone struct {
	ID    int64
	Token string // calls.create token of the phone's account
	Login rig.Login
}

// seed writes n phones over as many accounts as they need, one token per
// account, straight to the store before the server starts. It returns the
// phones and the tokens.
func seed(ctx context.Context, cfg rig.ServerConfig, n int) ([]phone, []string, error) {
	db, err := rig.OpenStore(ctx, cfg, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	var (
		phones []phone
		tokens []string
		acct   *sipsim.Account
	)
	for i := range n {
		if i%phonesPerAccount == 0 {
			acct = &sipsim.Account{Name: fmt.Sprintf("CAPS tenant %d", len(tokens)+1),
				SIPDomain: fmt.Sprintf("t%02d.caps.invalid", len(tokens)+1), Country: "FR", Limits: unlimited}
			if err := db.CreateAccount(ctx, acct); err != nil {
				return nil, nil, fmt.Errorf("seed account: %w", err)
			}
			secret := sipsim.NewTokenSecret()
			tok := &sipsim.Token{AccountID: acct.ID, Name: "caps", Hash: sipsim.HashToken(secret), CreatedAt: time.Now().UTC(),
				Scopes: []sipsim.Scope{sipsim.ScopeCallsCreate, sipsim.ScopeCallsRead, sipsim.ScopePhonesRead}}
			if err := db.CreateToken(ctx, tok); err != nil {
				return nil, nil, fmt.Errorf("seed token: %w", err)
			}
			tokens = append(tokens, secret)
		}
		ext := firstExtension + i%phonesPerAccount
		password := fmt.Sprintf("pw-%d-%d", acct.ID, ext)
		p := &sipsim.Phone{AccountID: acct.ID, Name: fmt.Sprintf("Agent %d", ext), Status: sipsim.PhoneActive,
			InternalNumber: ext, Number: fmt.Sprintf("+33612%06d", i), Country: "FR", SIPRealm: acct.SIPDomain}
		p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(strconv.Itoa(ext), acct.SIPDomain, password)
		if err := db.CreatePhone(ctx, p); err != nil {
			return nil, nil, fmt.Errorf("seed phone %d: %w", i, err)
		}
		phones = append(phones, phone{ID: p.ID, Token: tokens[len(tokens)-1],
			Login: rig.Login{Ext: ext, Domain: acct.SIPDomain, Password: password}})
	}
	return phones, tokens, nil
}
