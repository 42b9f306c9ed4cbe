package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

func TestAccountsAdmin(t *testing.T) {
	a := newTestAPI(t)
	var created wire.Account
	rec := a.do(t, http.MethodPost, "/api/v2/accounts", tokAll,
		`{"name": " Acme ", "sip_domain": "Acme.SIP.example.com", "country": "DE", "limits": {"daily_minutes": 30}}`)
	checkData(t, rec, http.StatusCreated, &created)
	if created.ID != 3 || created.Name != "Acme" || created.SIPDomain != "acme.sip.example.com" || rec.Header().Get("Location") != "/api/v2/accounts/3" {
		t.Fatalf("created %+v at %q", created, rec.Header().Get("Location"))
	}
	// The limits in force: the account's own country, 30 minutes, defaults
	// for the rest.
	want := wire.AccountLimits{AllowedCountries: []string{"DE"}, MaxConcurrentCalls: sipsim.DefaultAccountLimits.MaxConcurrentCalls, DailyMinutes: 30,
		CallsPerMinutePerToken: sipsim.DefaultAccountLimits.CallsPerMinutePerToken, CallsPerMinutePerPhone: sipsim.DefaultAccountLimits.CallsPerMinutePerPhone}
	if !slices.Equal(created.Limits.AllowedCountries, want.AllowedCountries) || created.Limits.DailyMinutes != 30 ||
		created.Limits.MaxConcurrentCalls != want.MaxConcurrentCalls || created.Limits.CallsPerMinutePerPhone != want.CallsPerMinutePerPhone {
		t.Errorf("limits = %+v, want %+v", created.Limits, want)
	}
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/accounts", tokAll, `{"name": "Other", "sip_domain": "acme.sip.example.com", "country": "FR"}`),
		http.StatusConflict, "/api/v2/accounts", "SIP domain acme.sip.example.com is taken")

	var got wire.Account
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/accounts/3", tokAll,
		`{"name": "Acme GmbH", "sip_domain": "acme.sip.example.com", "limits": {"allowed_countries": ["DE", "AT"]}}`), http.StatusOK, &got)
	if got.Name != "Acme GmbH" || !slices.Equal(got.Limits.AllowedCountries, []string{"DE", "AT"}) || got.Limits.DailyMinutes != 30 {
		t.Errorf("after PATCH: %+v; want the new name and countries, the daily minutes kept", got)
	}
	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/accounts/3", tokAll, `{"sip_domain": "other.example.com"}`),
		http.StatusBadRequest, "/api/v2/accounts/3", "sip_domain cannot change: the phones' passwords are hashed with it")
	checkData(t, a.do(t, http.MethodGet, "/api/v2/accounts/3", tokAll, ""), http.StatusOK, &got)
	if got.Name != "Acme GmbH" {
		t.Errorf("GET after PATCH: %+v", got)
	}
	var all []wire.Account
	checkData(t, a.do(t, http.MethodGet, "/api/v2/accounts", tokAll, ""), http.StatusOK, &all)
	if len(all) != 3 || all[2].ID != 3 {
		t.Errorf("list = %+v, want the operator, the tenant and Acme", all)
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/accounts/999", tokAll, ""), http.StatusNotFound, "/api/v2/accounts/999", "Account not found")
}

func TestAccountsAdminIsTheOperatorsOnly(t *testing.T) {
	a := newTestAPI(t)
	// tokOther belongs to tenant account 2 and carries every scope, the
	// admin one included: still refused.
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v2/accounts", ""},
		{http.MethodPost, "/api/v2/accounts", `{"name": "Evil", "sip_domain": "evil.example.com", "country": "FR"}`},
		{http.MethodGet, "/api/v2/accounts/1", ""},
		{http.MethodPatch, "/api/v2/accounts/2", `{"limits": {"daily_minutes": 100000}}`},
	} {
		rec := a.do(t, tc.method, tc.path, tokOther, tc.body)
		checkErrorMessage(t, rec, http.StatusForbidden, tc.path, "Only the operator account's tokens may manage accounts")
	}
	if n := len(a.accounts.accounts); n != 2 {
		t.Errorf("%d accounts after a tenant's attempts, want 2", n)
	}
	if a.accounts.accounts[2].Limits.DailyMinutes != 0 {
		t.Error("a tenant raised its own limits")
	}
	// An operator token without the scope is refused too.
	rec := a.do(t, http.MethodGet, "/api/v2/accounts", scopeToken(sipsim.ScopeCallsRead), "")
	checkError(t, rec, http.StatusForbidden, "/api/v2/accounts")
}

func TestAccountsAdminValidates(t *testing.T) {
	a := newTestAPI(t)
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`{}`, []string{"name is required", "sip_domain is required", "country is required"}},
		{`{"name": "A", "sip_domain": "localhost", "country": "FR"}`, []string{"sip_domain must be a DNS name such as acme.sip.example.com"}},
		{`{"name": "A", "sip_domain": "a b.example.com", "country": "FR"}`, []string{"sip_domain must be a DNS name such as acme.sip.example.com"}},
		{`{"name": "A", "sip_domain": "a.example.com", "country": "France"}`, []string{"country must be an ISO 3166 region code such as FR"}},
		{`{"name": "A", "sip_domain": "a.example.com", "country": "FR", "limits": {"allowed_countries": ["FR", "ZZ"], "daily_minutes": -5}}`,
			[]string{"limits.allowed_countries[1] must be an ISO 3166 region code such as FR", "limits.daily_minutes must be between 0 (the default) and 1440000"}},
		{`{"name": "A", "sip_domain": "a.example.com", "country": "FR", "id": 7}`, []string{"id is read-only"}},
	} {
		rec := a.do(t, http.MethodPost, "/api/v2/accounts", tokAll, tc.body)
		if errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/accounts"); !slices.Equal(errs, tc.want) {
			t.Errorf("%s: errors = %q, want %q", tc.body, errs, tc.want)
		}
	}
}
