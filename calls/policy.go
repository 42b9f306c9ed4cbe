package calls

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// The toll-fraud policy: what an account may call through the trunk, and
// how much. A stolen token or a hacked handset pays off by calling numbers
// that share their revenue (premium rate, far-away countries) for as long
// and as often as it can, so each of those is bounded before anything
// rings:
//
//   - the destination country must be in the account's allowed countries
//     (by default its own): 403;
//   - the number type must not be high risk (e164.NumberType.HighRisk), for
//     any account: 403;
//   - the account's talk time today (UTC) must be under its daily minutes:
//     403, since retrying will not help before midnight. Calls that ended
//     today count whole, calls in progress with their talk so far. A call
//     is then cut (reason max_duration) when it reaches the minutes left as
//     it started, so no single call runs past the limit; calls running at
//     once each get those minutes, so together they may pass it by at most
//     (calls at once − 1) × minutes left, which the concurrency cap bounds;
//   - the account's calls at once must stay within max_concurrent_calls:
//     429 (as Twilio answers), since the condition clears by itself when a
//     call ends; no Retry-After, as nobody knows when that is;
//   - calls placed in the last 60 s with the token, or from the phone, must
//     stay within their per-minute limits: 429 with the time until the
//     oldest of them leaves the window. Only accepted calls count, so a
//     request refused as busy or as a double click costs nothing.
//
// The last two are counted by the store in the insert's transaction
// (sipsim.CallLimits), so they hold under concurrency and across nodes.
// Internal calls (phone to phone) never reach the trunk and are exempt
// from the first three; they count towards the last two like any call.

// accountLimits returns the effective limits of the account a call is for.
func (s *Service) accountLimits(ctx context.Context, accountID int64) (sipsim.AccountLimits, error) {
	a, err := s.cfg.Accounts.Account(ctx, accountID)
	if err != nil {
		return sipsim.AccountLimits{}, fmt.Errorf("account %d: %w", accountID, err)
	}
	return a.Effective(), nil
}

// checkDestination refuses a valid E.164 number the account may not call
// through the trunk: a country it does not allow, or a high-risk type.
func checkDestination(limits sipsim.AccountLimits, number string) error {
	region := e164.Region(number)
	if !slices.Contains(limits.AllowedCountries, region) {
		allowed := strings.Join(limits.AllowedCountries, ", ")
		if !e164.KnownRegion(region) {
			// "001": international networks (+800, +881 satellite, +882,
			// +883), a favourite of fraud; no account can allow them.
			e := sipsim.Errorf(sipsim.EFORBIDDEN, "Calls to international network numbers (%s) are not allowed", number)
			e.Details = []string{"Numbers outside any country are refused for every account"}
			return e
		}
		e := sipsim.Errorf(sipsim.EFORBIDDEN, "Calls to %s (%s) are not allowed for this account", region, number)
		e.Details = []string{fmt.Sprintf("This account may call %s only; an administrator can add %s to the account's allowed_countries", allowed, region)}
		return e
	}
	if t := e164.TypeOf(number); t.HighRisk() {
		e := sipsim.Errorf(sipsim.EFORBIDDEN, "Calls to %s numbers are not allowed", t.Label())
		e.Details = []string{fmt.Sprintf("%s is a %s number, a toll fraud risk; no account may call one", number, t.Label())}
		return e
	}
	return nil
}

// checkForwarding applies checkDestination to the number a phone forwards
// to: it is dialled through the trunk like a target, so a forward to a
// premium-rate number would be the same fraud one setting away.
func checkForwarding(limits sipsim.AccountLimits, phone *sipsim.Phone, forwardTo string) error {
	if forwardTo == "" {
		return nil
	}
	err := checkDestination(limits, forwardTo)
	if e, ok := err.(*sipsim.Error); ok {
		// "Calls to …" continues the sentence: "…: calls to …".
		e.Message = fmt.Sprintf("Phone %d forwards to %s: %s", phone.ID, forwardTo, strings.ToLower(e.Message[:1])+e.Message[1:])
		e.Details = append(e.Details, "Change the phone's forwarding_setting, or turn it off")
	}
	return err
}

// talkTimeLeft returns the talk time the account has left today (UTC), or
// EFORBIDDEN when it has none.
func (s *Service) talkTimeLeft(ctx context.Context, accountID int64, limits sipsim.AccountLimits, now time.Time) (time.Duration, error) {
	used, err := s.cfg.Calls.TalkTime(ctx, accountID, now)
	if err != nil {
		return 0, err
	}
	budget := time.Duration(limits.DailyMinutes) * time.Minute
	if used >= budget {
		e := sipsim.Errorf(sipsim.EFORBIDDEN, "This account has used its %d call minutes for today", limits.DailyMinutes)
		e.Details = []string{"Calls are allowed again from 00:00 UTC; an administrator can raise the account's daily_minutes"}
		return 0, e
	}
	return budget - used, nil
}

// maxDuration is how long a call may talk: the server's maximum, or the
// account's talk time left today if that is shorter.
func (s *Service) maxDuration(left time.Duration) time.Duration {
	return min(s.cfg.MaxDuration, left)
}
