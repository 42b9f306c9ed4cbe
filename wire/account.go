package wire

import "github.com/sipsim/sipsim"

// Account is a tenant as the admin API shows it. Limits are the ones in
// force: defaults filled in.
type Account struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	SIPDomain string        `json:"sip_domain"`
	Country   string        `json:"country"`
	CreatedAt string        `json:"created_at"`
	Limits    AccountLimits `json:"limits"`
}

// AccountLimits bound what an account's calls may cost.
type AccountLimits struct {
	AllowedCountries       []string `json:"allowed_countries"`
	MaxConcurrentCalls     int      `json:"max_concurrent_calls"`
	DailyMinutes           int      `json:"daily_minutes"`
	CallsPerMinutePerToken int      `json:"calls_per_minute_per_token"`
	CallsPerMinutePerPhone int      `json:"calls_per_minute_per_phone"`
}

func NewAccount(a *sipsim.Account) Account {
	l := a.Effective()
	countries := l.AllowedCountries
	if countries == nil {
		countries = []string{}
	}
	return Account{
		ID: a.ID, Name: a.Name, SIPDomain: a.SIPDomain, Country: a.Country, CreatedAt: Time(a.CreatedAt),
		Limits: AccountLimits{
			AllowedCountries:       countries,
			MaxConcurrentCalls:     l.MaxConcurrentCalls,
			DailyMinutes:           l.DailyMinutes,
			CallsPerMinutePerToken: l.CallsPerMinutePerToken,
			CallsPerMinutePerPhone: l.CallsPerMinutePerPhone,
		},
	}
}
