package sipsim

import (
	"context"
	"time"
)

// Account is a tenant: everything (tokens, phones, calls, tags, webhooks,
// audio files, recordings) belongs to exactly one. Its phones register in
// its own SIP domain, which is also their digest realm, so internal number
// 101 can exist in two accounts.
type Account struct {
	ID        int64
	Name      string
	SIPDomain string // e.g. "acme.sip.example.com"; the digest realm too
	// Country is the ISO 3166 region the account calls from: national
	// numbers are read in it, and it is the default allowed destination.
	Country   string
	CreatedAt time.Time
	Limits    AccountLimits
}

// AccountLimits bound what an account's calls may cost. Zero values mean
// the defaults of DefaultAccountLimits.
type AccountLimits struct {
	// AllowedCountries are the ISO regions calls may go to through the
	// trunk; empty means the account's own Country only.
	AllowedCountries []string
	// MaxConcurrentCalls caps the account's active calls.
	MaxConcurrentCalls int
	// DailyMinutes caps talk time per UTC day, all calls together.
	DailyMinutes int
	// CallsPerMinutePerToken and CallsPerMinutePerPhone cap the calls
	// placed (accepted) in any 60 s.
	CallsPerMinutePerToken int
	CallsPerMinutePerPhone int
}

// DefaultAccountLimits are the limits of an account that sets none.
var DefaultAccountLimits = AccountLimits{
	MaxConcurrentCalls:     50,
	DailyMinutes:           1000,
	CallsPerMinutePerToken: 60,
	CallsPerMinutePerPhone: 10,
}

// Effective returns l with every zero value replaced by its default, and
// the account's own country when no destination is listed.
func (a *Account) Effective() AccountLimits {
	l, d := a.Limits, DefaultAccountLimits
	if len(l.AllowedCountries) == 0 && a.Country != "" {
		l.AllowedCountries = []string{a.Country}
	}
	if l.MaxConcurrentCalls == 0 {
		l.MaxConcurrentCalls = d.MaxConcurrentCalls
	}
	if l.DailyMinutes == 0 {
		l.DailyMinutes = d.DailyMinutes
	}
	if l.CallsPerMinutePerToken == 0 {
		l.CallsPerMinutePerToken = d.CallsPerMinutePerToken
	}
	if l.CallsPerMinutePerPhone == 0 {
		l.CallsPerMinutePerPhone = d.CallsPerMinutePerPhone
	}
	return l
}

// AccountStore persists accounts.
type AccountStore interface {
	// CreateAccount stores a and sets its ID and CreatedAt. ECONFLICT when
	// the SIP domain is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns one account. ENOTFOUND.
	Account(ctx context.Context, id int64) (*Account, error)
	// AccountBySIPDomain finds the account a SIP request is for. ENOTFOUND.
	AccountBySIPDomain(ctx context.Context, domain string) (*Account, error)
	// Accounts lists every account by id.
	Accounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount replaces the stored account (name, country, limits;
	// the SIP domain is fixed: phones' HA1 values depend on it). ENOTFOUND.
	UpdateAccount(ctx context.Context, a *Account) error
}
