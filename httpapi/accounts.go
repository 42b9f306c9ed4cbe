package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
	"github.com/sipsim/sipsim/wire"
)

// The admin API manages tenants. Its scope, accounts.admin, is honoured only
// on tokens of the operator's own account: a tenant's token carrying it by
// mistake still cannot see other tenants.

const (
	accountNotFound   = "Account not found"
	maxAccountName    = 255
	maxSIPDomain      = 253
	maxCallsPerMinute = 10000
	maxConcurrent     = 100000
	maxDailyMinutes   = 1440 * 1000
)

// sipDomain is a lower-case DNS name of at least two labels.
var sipDomain = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

var accountReadOnly = []string{"id", "created_at"}

// operatorOnly refuses admin routes to tokens of tenant accounts.
func operatorOnly(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tokenFrom(r.Context()).AccountID != sipsim.DefaultAccountID {
			writeError(w, r, cfg, sipsim.Errorf(sipsim.EFORBIDDEN, "Only the operator account's tokens may manage accounts"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func handleListAccounts(cfg Config) http.Handler {
	return operatorOnly(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		accounts, err := cfg.Accounts.Accounts(r.Context())
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		out := make([]wire.Account, 0, len(accounts))
		for _, a := range accounts {
			out = append(out, wire.NewAccount(a))
		}
		writeData(w, r, cfg, http.StatusOK, out)
	}))
}

func handleGetAccount(cfg Config) http.Handler {
	return operatorOnly(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := accountFromPath(r, cfg)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewAccount(a))
	}))
}

// handleCreateAccount adds a tenant. Its SIP domain cannot change later:
// the HA1 values of its phones' passwords depend on it.
func handleCreateAccount(cfg Config) http.Handler {
	return operatorOnly(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		o, err := readObject(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		a := &sipsim.Account{}
		o.Str("sip_domain", &a.SIPDomain)
		applyAccount(o, a)
		o.require("name", "sip_domain", "country")
		if err := o.finish(); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		a.SIPDomain = strings.ToLower(strings.TrimSpace(a.SIPDomain))
		problems := accountProblems(a)
		if len(a.SIPDomain) > maxSIPDomain || !sipDomain.MatchString(a.SIPDomain) {
			problems = append(problems, "sip_domain must be a DNS name such as acme.sip.example.com")
		}
		if len(problems) > 0 {
			writeError(w, r, cfg, badRequest(problems...))
			return
		}
		if err := cfg.Accounts.CreateAccount(r.Context(), a); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v2/accounts/%d", a.ID))
		writeData(w, r, cfg, http.StatusCreated, wire.NewAccount(a))
	}))
}

// handleUpdateAccount changes an account's name, country and limits.
func handleUpdateAccount(cfg Config) http.Handler {
	return operatorOnly(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := accountFromPath(r, cfg)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		o, err := readObject(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		var domain string
		if o.Str("sip_domain", &domain) && domain != a.SIPDomain {
			o.failf("sip_domain cannot change: the phones' passwords are hashed with it")
		}
		applyAccount(o, a)
		if err := o.finish(); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if problems := accountProblems(a); len(problems) > 0 {
			writeError(w, r, cfg, badRequest(problems...))
			return
		}
		if err := cfg.Accounts.UpdateAccount(r.Context(), a); err != nil {
			writeError(w, r, cfg, notFoundAs(err, accountNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewAccount(a))
	}))
}

func accountFromPath(r *http.Request, cfg Config) (*sipsim.Account, error) {
	id, err := resourceID(r)
	if err != nil {
		return nil, err
	}
	a, err := cfg.Accounts.Account(r.Context(), id)
	return a, notFoundAs(err, accountNotFound)
}

// applyAccount writes the writable members of a body onto a. Limits merge
// member by member; 0 (or an empty list) means the default.
func applyAccount(o *object, a *sipsim.Account) {
	o.readOnly(accountReadOnly...)
	if o.Str("name", &a.Name) {
		a.Name = strings.TrimSpace(a.Name)
	}
	o.Str("country", &a.Country)
	l, ok := o.Object("limits")
	if !ok {
		return
	}
	lim := &a.Limits
	l.StrList("allowed_countries", &lim.AllowedCountries)
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"max_concurrent_calls", &lim.MaxConcurrentCalls},
		{"daily_minutes", &lim.DailyMinutes},
		{"calls_per_minute_per_token", &lim.CallsPerMinutePerToken},
		{"calls_per_minute_per_phone", &lim.CallsPerMinutePerPhone},
	} {
		var n int64
		if l.Int(f.name, &n) {
			*f.dst = int(min(max(n, -1), 1<<31-1))
		}
	}
}

func accountProblems(a *sipsim.Account) []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if a.Name == "" || utf8.RuneCountInString(a.Name) > maxAccountName {
		add("name must be 1 to %d characters", maxAccountName)
	}
	if !e164.KnownRegion(a.Country) {
		add("country must be an ISO 3166 region code such as FR")
	}
	l := a.Limits
	for i, c := range l.AllowedCountries {
		if !e164.KnownRegion(c) {
			add("limits.allowed_countries[%d] must be an ISO 3166 region code such as FR", i)
		}
	}
	for _, f := range []struct {
		name  string
		v     int
		limit int
	}{
		{"max_concurrent_calls", l.MaxConcurrentCalls, maxConcurrent},
		{"daily_minutes", l.DailyMinutes, maxDailyMinutes},
		{"calls_per_minute_per_token", l.CallsPerMinutePerToken, maxCallsPerMinute},
		{"calls_per_minute_per_phone", l.CallsPerMinutePerPhone, maxCallsPerMinute},
	} {
		if f.v < 0 || f.v > f.limit {
			add("limits.%s must be between 0 (the default) and %d", f.name, f.limit)
		}
	}
	return ps
}
