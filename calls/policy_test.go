package calls

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// setLimits gives the fixture's account (country FR) limits.
func (f *fixture) setLimits(t *testing.T, l sipsim.AccountLimits) {
	t.Helper()
	a, err := f.db.Account(t.Context(), sipsim.DefaultAccountID)
	if err != nil {
		t.Fatal(err)
	}
	a.Limits = l
	if err := f.db.UpdateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
}

// addPhone creates another active phone with internal number 100+n,
// registered.
func (f *fixture) addPhone(t *testing.T, n int) *sipsim.Phone {
	t.Helper()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Phone " + strconv.Itoa(n), Status: sipsim.PhoneActive,
		InternalNumber: 100 + n, Number: "+336123456" + strconv.Itoa(10+n), Country: "FR"}
	if err := f.db.CreatePhone(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	contact := "sip:" + strconv.Itoa(p.InternalNumber) + "@127.0.0.1:5070"
	err := f.db.SaveRegistration(t.Context(), &sipsim.Registration{AccountID: sipsim.DefaultAccountID, PhoneID: p.ID,
		Contact: contact, Received: "127.0.0.1:5070", Transport: "udp", ExpiresAt: f.now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// talked stores a finished call of the account that talked for d and
// ended at end, on a phone of its own.
func (f *fixture) talked(t *testing.T, p *sipsim.Phone, id string, end time.Time, d time.Duration) {
	t.Helper()
	answered := end.Add(-d)
	c := &sipsim.Call{ID: id, AccountID: sipsim.DefaultAccountID, PhoneID: p.ID, TargetNumber: "+33698765400",
		Direction: sipsim.DirectionOutbound, Source: sipsim.SourceAPI, Status: sipsim.CallCompleted, EndedReason: sipsim.ReasonTargetHangup,
		AgentLeg: sipsim.Leg{Status: sipsim.LegCompleted}, TargetLeg: sipsim.Leg{Status: sipsim.LegCompleted},
		AnsweredAt: &answered, EndedAt: &end}
	ev := &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: sipsim.EventCallEnded, Status: c.Status, At: end}
	if err := f.db.CreateCall(t.Context(), c, ev, sipsim.CallLimits{}); err != nil {
		t.Fatal(err)
	}
}

// hangUp ends a running click-to-call through the API's path.
func (f *fixture) hangUp(t *testing.T, id string) {
	t.Helper()
	if _, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, id); err != nil {
		t.Fatal(err)
	}
	waitFinal(t, f.db, id)
}

// place is a click-to-call from phone to target with token.
func (f *fixture) place(t *testing.T, phone *sipsim.Phone, target string, token int64) (*sipsim.Call, error) {
	t.Helper()
	return f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, TokenID: token, PhoneID: phone.ID, TargetNumber: target})
}

// plan waits for the i-th call the telephony engine got (PlaceCall runs
// in the background).
func (f *fixture) plan(t *testing.T, i int) sipsim.CallPlan {
	t.Helper()
	var p sipsim.CallPlan
	waitUntil(t, func() bool {
		f.tel.mu.Lock()
		defer f.tel.mu.Unlock()
		if len(f.tel.plans) <= i {
			return false
		}
		p = f.tel.plans[i]
		return true
	})
	return p
}

// wantRefusal fails t unless err has code, message and details.
func wantRefusal(t *testing.T, err error, code, message string, details ...string) {
	t.Helper()
	if got := sipsim.ErrorCode(err); got != code {
		t.Fatalf("code = %q (%v), want %q", got, err, code)
	}
	if got := sipsim.ErrorMessage(err); got != message {
		t.Errorf("message = %q, want %q", got, message)
	}
	if details != nil && !slices.Equal(sipsim.ErrorDetails(err), details) {
		t.Errorf("details = %q, want %q", sipsim.ErrorDetails(err), details)
	}
}

// nothingRang fails t if a call reached the telephony engine or the store.
func (f *fixture) nothingRang(t *testing.T) {
	t.Helper()
	f.tel.mu.Lock()
	plans := len(f.tel.plans)
	f.tel.mu.Unlock()
	if plans != 0 {
		t.Errorf("the telephony engine got %d calls, want none", plans)
	}
	stored, err := f.db.Calls(t.Context(), sipsim.CallFilter{AccountID: sipsim.DefaultAccountID})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 0 {
		t.Errorf("%d calls stored, want none", len(stored))
	}
}

// A stolen token calling premium-rate or far-away numbers is refused with
// 403 before anything rings or is stored.
func TestTollFraudDestinationsAreRefusedBeforeAnythingRings(t *testing.T) {
	tests := []struct {
		name, number string
		allowed      []string
		message      string
		details      []string
	}{
		{"country not allowed", "+4915123456789", nil,
			"Calls to DE (+4915123456789) are not allowed for this account",
			[]string{"This account may call FR only; an administrator can add DE to the account's allowed_countries"}},
		{"premium rate at home", "+33891234567", nil,
			"Calls to premium-rate numbers are not allowed",
			[]string{"+33891234567 is a premium-rate number, a toll fraud risk; no account may call one"}},
		{"shared cost", "+33810123456", nil, "Calls to shared-cost numbers are not allowed", nil},
		{"personal number in an allowed country", "+447012345678", []string{"FR", "GB"}, "Calls to personal numbers are not allowed", nil},
		{"premium rate in an allowed country", "+499001234567", []string{"FR", "DE"}, "Calls to premium-rate numbers are not allowed", nil},
		{"the country is checked first", "+449012345678", nil, "Calls to GB (+449012345678) are not allowed for this account", nil},
		{"international network", "+881612345678", []string{"FR", "GB", "DE"},
			"Calls to international network numbers (+881612345678) are not allowed",
			[]string{"Numbers outside any country are refused for every account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
			f.register(t)
			f.setLimits(t, sipsim.AccountLimits{AllowedCountries: tt.allowed})
			_, err := f.place(t, f.phone, tt.number, 0)
			wantRefusal(t, err, sipsim.EFORBIDDEN, tt.message, tt.details...)
			f.nothingRang(t)
		})
	}
}

// allowed_countries opens a country, and only the ordinary numbers of it.
func TestAllowedCountriesLetTheAccountCallThere(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	f.setLimits(t, sipsim.AccountLimits{AllowedCountries: []string{"FR", "DE"}})
	if _, err := f.place(t, f.phone, "+4915123456789", 0); err != nil {
		t.Fatalf("call to an allowed country: %v", err)
	}
	// The own country is no longer implied once the list is set.
	f.setLimits(t, sipsim.AccountLimits{AllowedCountries: []string{"DE"}})
	_, err := f.place(t, f.addPhone(t, 2), "+33698765432", 0)
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Calls to FR (+33698765432) are not allowed for this account",
		"This account may call DE only; an administrator can add FR to the account's allowed_countries")
}

// Where the destination checks stand among the others: after the number's
// own validity, before the phone's state; the limits the store counts
// come after busy.
func TestTollFraudCheckOrder(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	// An invalid number is a 400 before anything else.
	_, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: "+3389"})
	wantRefusal(t, err, sipsim.EINVALID, "target_number is invalid")
	// A forbidden destination beats an unknown phone and an unreachable one.
	_, err = f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: 999, TargetNumber: "+33891234567"})
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Calls to premium-rate numbers are not allowed")
	_, err = f.place(t, f.phone, "+4915123456789", 0) // f.phone has nothing registered
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Calls to DE (+4915123456789) are not allowed for this account")

	// Busy (409, naming the call) beats every limit the store counts.
	f.register(t)
	f.setLimits(t, sipsim.AccountLimits{MaxConcurrentCalls: 1, CallsPerMinutePerToken: 1, CallsPerMinutePerPhone: 1})
	first, err := f.place(t, f.phone, "+33698765432", 5)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.place(t, f.phone, "+33698765433", 5)
	wantRefusal(t, err, sipsim.ECONFLICT, "Phone is currently on another call")
	if sipsim.ErrorCallID(err) != first.ID {
		t.Errorf("busy names %q, want %s", sipsim.ErrorCallID(err), first.ID)
	}
	// So does the double click, once the call is over.
	f.hangUp(t, first.ID)
	_, err = f.place(t, f.phone, "+33698765432", 5)
	if sipsim.ErrorCode(err) != sipsim.ECONFLICT || sipsim.ErrorCallID(err) != first.ID {
		t.Errorf("double click: %v, want the 409 naming %s", err, first.ID)
	}
}

// A phone forwarded to a premium-rate number would dial it through the
// trunk: the call is refused, naming the setting to fix.
func TestForwardingToAForbiddenNumberIsRefused(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	premium := "+33891234567"
	f.phone.ForwardingSetting.Conditional = sipsim.ConditionalForwarding{Enabled: true, TimeoutSeconds: 20, ForwardNumber: &premium}
	if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
		t.Fatal(err)
	}
	_, err := f.place(t, f.phone, "+33698765432", 0)
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Phone 1 forwards to +33891234567: calls to premium-rate numbers are not allowed",
		"+33891234567 is a premium-rate number, a toll fraud risk; no account may call one",
		"Change the phone's forwarding_setting, or turn it off")
	f.nothingRang(t)
}

// The daily minutes: talk time of today's calls (UTC) bounds the next
// call's length, and refuses it once used up; the next day starts afresh.
func TestDailyMinutesCapAndRefuseCalls(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.setLimits(t, sipsim.AccountLimits{DailyMinutes: 10})
	// Registered for two days: the test crosses midnight.
	alice, ledger := f.addPhone(t, 3), f.addPhone(t, 50)
	f.talked(t, ledger, "call_yesterday", f.now.Add(-11*time.Hour), 30*time.Minute) // ended 23:00 the day before
	f.talked(t, ledger, "call_morning", f.now.Add(-time.Hour), 8*time.Minute+30*time.Second)

	c, err := f.place(t, alice, "+33698765432", 0)
	if err != nil {
		t.Fatalf("call with 1.5 minutes left: %v", err)
	}
	if got := f.plan(t, 0).MaxDuration; got != 90*time.Second {
		t.Errorf("MaxDuration = %s, want the 1m30s left today", got)
	}
	f.hangUp(t, c.ID)

	f.talked(t, ledger, "call_late_morning", f.now, 90*time.Second)
	_, err = f.place(t, alice, "+33698765433", 0)
	wantRefusal(t, err, sipsim.EFORBIDDEN, "This account has used its 10 call minutes for today",
		"Calls are allowed again from 00:00 UTC; an administrator can raise the account's daily_minutes")

	f.clock.Advance(14 * time.Hour) // 00:00 the next day
	if _, err := f.place(t, alice, "+33698765433", 0); err != nil {
		t.Fatalf("call the next day: %v", err)
	}
	if got := f.plan(t, 1).MaxDuration; got != 10*time.Minute {
		t.Errorf("MaxDuration the next day = %s, want the whole 10m", got)
	}
}

// Without a daily cap in reach, the server's maximum duration stands.
func TestMaxDurationIsTheServersWhenMinutesRemain(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	if _, err := f.place(t, f.phone, "+33698765432", 0); err != nil {
		t.Fatal(err)
	}
	if got := f.plan(t, 0).MaxDuration; got != 4*time.Hour {
		t.Errorf("MaxDuration = %s, want the server's 4h (the default 1000 minutes are more)", got)
	}
}

// An account at its cap of calls at once gets 429 until one ends.
func TestConcurrentCallsCapAnswers429(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	f.setLimits(t, sipsim.AccountLimits{MaxConcurrentCalls: 1})
	first, err := f.place(t, f.phone, "+33698765432", 0)
	if err != nil {
		t.Fatal(err)
	}
	other := f.addPhone(t, 2)
	_, err = f.place(t, other, "+33698765433", 0)
	wantRefusal(t, err, sipsim.ERATELIMIT, "Too many calls at once: this account may have 1 calls in progress", "Retry when one of them has ended")
	if limit, wait := sipsim.ErrorRateLimit(err); limit != 1 || wait != 0 {
		t.Errorf("limit, retry after = %d, %s; want 1 and no time", limit, wait)
	}
	f.hangUp(t, first.ID)
	if _, err := f.place(t, other, "+33698765433", 0); err != nil {
		t.Fatalf("after the first call ended: %v", err)
	}
}

// A token that placed its calls for the minute gets 429 with the time
// until a slot frees; another token is not affected.
func TestCallsPerMinutePerTokenAnswers429(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	f.setLimits(t, sipsim.AccountLimits{CallsPerMinutePerToken: 2})
	a, b, c := f.phone, f.addPhone(t, 2), f.addPhone(t, 3)
	first, err := f.place(t, a, "+33698765432", 5)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Second)
	if _, err := f.place(t, b, "+33698765432", 5); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Second)
	_, err = f.place(t, c, "+33698765432", 5)
	wantRefusal(t, err, sipsim.ERATELIMIT, "Too many calls placed with this API token: the limit is 2 per minute", "Retry in 30 s")
	if limit, wait := sipsim.ErrorRateLimit(err); limit != 2 || wait != 30*time.Second {
		t.Errorf("limit, retry after = %d, %s; want 2, 30s", limit, wait)
	}
	if _, err := f.place(t, c, "+33698765432", 6); err != nil {
		t.Fatalf("another token: %v", err)
	}
	f.clock.Advance(30 * time.Second)
	f.hangUp(t, first.ID)
	if _, err := f.place(t, a, "+33698765433", 5); err != nil {
		t.Fatalf("once the first call left the window: %v", err)
	}
}

// A phone that placed its calls for the minute gets 429, from the API and
// from its handset alike.
func TestCallsPerMinutePerPhoneAnswers429(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	f.setLimits(t, sipsim.AccountLimits{CallsPerMinutePerPhone: 2})
	for i, target := range []string{"+33698765432", "+33698765433"} {
		c, err := f.place(t, f.phone, target, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		f.hangUp(t, c.ID)
		f.clock.Advance(10 * time.Second)
	}
	_, err := f.place(t, f.phone, "+33698765434", 3)
	wantRefusal(t, err, sipsim.ERATELIMIT, "Too many calls placed from phone 1: the limit is 2 per minute", "Retry in 40 s")
	_, err = f.svc.StartHandsetCall(t.Context(), sipsim.HandsetDial{Phone: f.phone, Dialled: "+33698765434"})
	wantRefusal(t, err, sipsim.ERATELIMIT, "Too many calls placed from phone 1: the limit is 2 per minute")
	f.clock.Advance(40 * time.Second)
	if _, err := f.place(t, f.phone, "+33698765434", 3); err != nil {
		t.Fatalf("once the first call left the window: %v", err)
	}
}

// Calls dialled on a handset go through the trunk too, and obey the same
// destination and minute rules; internal calls reach no trunk and are not
// held to them.
func TestHandsetCallsObeyTheTollFraudPolicy(t *testing.T) {
	f := newFixture(t, &scriptedTelephony{release: make(chan struct{})})
	f.register(t)
	bob := f.addPhone(t, 2)
	dial := func(number string) (*sipsim.HandsetCall, error) {
		return f.svc.StartHandsetCall(t.Context(), sipsim.HandsetDial{Phone: f.phone, Dialled: number, Contact: "sip:101@127.0.0.1:5070"})
	}
	hangUp := func(hc *sipsim.HandsetCall) {
		hc.Finish(sipsim.CallOutcome{Status: sipsim.CallCompleted, Reason: sipsim.ReasonAgentHangup, AgentLeg: sipsim.LegCompleted, TargetLeg: sipsim.LegCompleted})
		waitFinal(t, f.db, hc.Call.ID)
	}
	_, err := dial("0033891234567")
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Calls to premium-rate numbers are not allowed")
	_, err = dial("+4915123456789")
	wantRefusal(t, err, sipsim.EFORBIDDEN, "Calls to DE (+4915123456789) are not allowed for this account")
	f.nothingRang(t)

	f.setLimits(t, sipsim.AccountLimits{DailyMinutes: 10})
	f.talked(t, bob, "call_morning", f.now.Add(-time.Hour), 7*time.Minute)
	hc, err := dial("+33698765432")
	if err != nil {
		t.Fatal(err)
	}
	if hc.Plan.MaxDuration != 3*time.Minute {
		t.Errorf("handset call MaxDuration = %s, want the 3m left today", hc.Plan.MaxDuration)
	}
	hangUp(hc)
	f.talked(t, bob, "call_noon", f.now, 3*time.Minute)
	_, err = dial("+33698765433")
	wantRefusal(t, err, sipsim.EFORBIDDEN, "This account has used its 10 call minutes for today")

	hc, err = dial(strconv.Itoa(bob.InternalNumber))
	if err != nil {
		t.Fatalf("internal call with the minutes used up: %v", err)
	}
	if hc.Plan.MaxDuration != 4*time.Hour {
		t.Errorf("internal call MaxDuration = %s, want the server's 4h", hc.Plan.MaxDuration)
	}
	hangUp(hc)
}

// The service refuses to start without the accounts that hold the limits.
func TestNewRequiresAccounts(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New without Accounts did not panic")
		}
	}()
	New(Config{})
}
