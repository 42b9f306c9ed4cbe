package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// The limits CreateCall enforces (sipsim.CallLimits) and TalkTime. What is
// pinned down beyond the interface comments:
//   - the new call counts towards its limits, so a limit of n admits n;
//   - under concurrency exactly the limit is admitted, never more, and the
//     others get ERATELIMIT, never a storage error;
//   - a refused call leaves no row and no event;
//   - a busy phone is ECONFLICT even when a limit is reached too;
//   - ERATELIMIT carries Limit and, for the per-minute limits, RetryAfter:
//     the time until the oldest counted call leaves the 60 s window.
func testCallLimits(t *testing.T, open OpenFunc) {
	t.Run("TokenIDRoundTrip", func(t *testing.T) { testTokenIDRoundTrip(t, open) })
	t.Run("ConcurrentCallsAtOnce", func(t *testing.T) { testConcurrentCallsAtOnce(t, open) })
	t.Run("ConcurrentCallsPerToken", func(t *testing.T) { testConcurrentCallsPerToken(t, open) })
	t.Run("CallsPerPhoneWindow", func(t *testing.T) { testCallsPerPhoneWindow(t, open) })
	t.Run("BusyBeforeLimits", func(t *testing.T) { testBusyBeforeLimits(t, open) })
	t.Run("LimitsAreScoped", func(t *testing.T) { testLimitsAreScoped(t, open) })
	t.Run("TalkTime", func(t *testing.T) { testTalkTime(t, open) })
}

// create stores c with its created event under limits.
func (e *env) create(c *sipsim.Call, limits sipsim.CallLimits) error {
	return e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), limits)
}

// end moves a stored call to completed, freeing its phone.
func (e *env) end(t *testing.T, c *sipsim.Call) {
	t.Helper()
	finish(c, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Now())
	must(t, e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallEnded, e.clock.Now())))
}

// wantRateLimit fails t unless err is ERATELIMIT with limit and retryAfter
// and leaves no trace of c.
func wantRateLimit(t *testing.T, e *env, c *sipsim.Call, err error, msgPart string, limit int, retryAfter time.Duration) {
	t.Helper()
	wantCode(t, err, sipsim.ERATELIMIT, msgPart)
	if l, w := sipsim.ErrorRateLimit(err); l != limit || w != retryAfter {
		t.Errorf("limit, retry after = %d, %s; want %d, %s", l, w, limit, retryAfter)
	}
	if _, err := e.s.Call(e.ctx, c.AccountID, c.ID); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Errorf("refused call %s was stored (%v)", c.ID, err)
	}
	events, err := e.s.CallEvents(e.ctx, c.AccountID, c.ID)
	must(t, err)
	if len(events) != 0 {
		t.Errorf("refused call %s left %d events", c.ID, len(events))
	}
}

func testTokenIDRoundTrip(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := newCall("call_token", p.ID)
	c.TokenID = 42
	must(t, e.create(c, sipsim.CallLimits{}))
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "Call", got, c)
}

// raceCreate inserts calls all at once under limits and returns the ones
// stored and the errors of the others.
func raceCreate(t *testing.T, e *env, calls []*sipsim.Call, limits sipsim.CallLimits) (created []*sipsim.Call, refused []error) {
	t.Helper()
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			<-start
			errs[i] = e.create(c, limits)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			created = append(created, calls[i])
		} else {
			refused = append(refused, err)
		}
	}
	return created, refused
}

// Of 20 simultaneous calls on 20 phones, an account limited to 5 at once
// gets exactly 5; once one ends, one more.
func testConcurrentCallsAtOnce(t *testing.T, open OpenFunc) {
	const n, limit = 20, 5
	e := newEnv(t, open)
	calls := make([]*sipsim.Call, n)
	for i := range calls {
		calls[i] = newCall(fmt.Sprintf("call_at_once_%02d", i), phoneOnEnv(t, e, i+1).ID)
	}
	limits := sipsim.CallLimits{MaxConcurrentCalls: limit}
	created, refused := raceCreate(t, e, calls, limits)
	if len(created) != limit || len(refused) != n-limit {
		t.Fatalf("%d created, %d refused; want %d and %d", len(created), len(refused), limit, n-limit)
	}
	for _, err := range refused {
		wantCode(t, err, sipsim.ERATELIMIT, "Too many calls at once")
		if l, w := sipsim.ErrorRateLimit(err); l != limit || w != 0 {
			t.Errorf("limit, retry after = %d, %s; want %d and no time (it frees when a call ends)", l, w, limit)
		}
	}
	active, err := e.s.ActiveCalls(e.ctx)
	must(t, err)
	if len(active) != limit {
		t.Fatalf("%d active calls, want %d", len(active), limit)
	}

	late := newCall("call_at_once_late", phoneOnEnv(t, e, n+1).ID)
	wantRateLimit(t, e, late, e.create(late, limits), "Too many calls at once", limit, 0)
	e.end(t, created[0])
	must(t, e.create(late, limits))
}

// Of 20 simultaneous calls with one token, a limit of 3 per minute admits
// exactly 3; the next is allowed when the first leaves the window, and not
// a microsecond before.
func testConcurrentCallsPerToken(t *testing.T, open OpenFunc) {
	const n, limit = 20, 3
	e := newEnv(t, open)
	calls := make([]*sipsim.Call, n)
	for i := range calls {
		calls[i] = newCall(fmt.Sprintf("call_token_%02d", i), phoneOnEnv(t, e, i+1).ID)
		calls[i].TokenID = 7
	}
	limits := sipsim.CallLimits{CallsPerMinutePerToken: limit}
	created, refused := raceCreate(t, e, calls, limits)
	if len(created) != limit || len(refused) != n-limit {
		t.Fatalf("%d created, %d refused; want %d and %d", len(created), len(refused), limit, n-limit)
	}
	for _, err := range refused {
		wantCode(t, err, sipsim.ERATELIMIT, "Too many calls placed with this API token: the limit is 3 per minute")
		if l, w := sipsim.ErrorRateLimit(err); l != limit || w != time.Minute {
			t.Errorf("limit, retry after = %d, %s; want %d, 1m0s", l, w, limit)
		}
	}
	// Ending the calls frees nothing: the limit counts calls placed.
	for _, c := range created {
		e.end(t, c)
	}
	next := newCall("call_token_next", phoneOnEnv(t, e, n+1).ID)
	next.TokenID = 7
	e.clock.Advance(sipsim.CallRateWindow - time.Microsecond)
	wantRateLimit(t, e, next, e.create(next, limits), "API token", limit, time.Microsecond)
	e.clock.Advance(time.Microsecond)
	must(t, e.create(next, limits))
}

// The per-phone limit counts every call of the phone in a sliding 60 s
// window, whatever became of them.
func testCallsPerPhoneWindow(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	limits := sipsim.CallLimits{CallsPerMinutePerPhone: 2}
	first := newCall("call_phone_1", p.ID)
	must(t, e.create(first, limits))
	e.end(t, first)
	e.clock.Advance(20 * time.Second)
	second := newCall("call_phone_2", p.ID)
	second.Source = sipsim.SourceHandset // any source counts
	must(t, e.create(second, limits))
	e.end(t, second)
	e.clock.Advance(10 * time.Second)

	third := newCall("call_phone_3", p.ID)
	wantRateLimit(t, e, third, e.create(third, limits), fmt.Sprintf("Too many calls placed from phone %d: the limit is 2 per minute", p.ID), 2, 30*time.Second)
	e.clock.Advance(30 * time.Second) // the first leaves the window
	must(t, e.create(third, limits))
	e.end(t, third)

	// With a limit lowered below what the window holds (the second call,
	// at +20 s, and the third, now), one more call must wait until both
	// have left it: 60 s, not the 20 s until the oldest leaves.
	fourth := newCall("call_phone_4", p.ID)
	wantRateLimit(t, e, fourth, e.create(fourth, sipsim.CallLimits{CallsPerMinutePerPhone: 1}), "phone", 1, 60*time.Second)
}

// A phone on a call is busy (409) before it is rate limited (429): a
// double click or a retry storm on one phone keeps getting the busy answer
// that names the call, as the API documents.
func testBusyBeforeLimits(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	limits := sipsim.CallLimits{MaxConcurrentCalls: 1, CallsPerMinutePerToken: 1, CallsPerMinutePerPhone: 1}
	c := newCall("call_busy_first", p.ID)
	c.TokenID = 7
	must(t, e.create(c, limits))
	second := newCall("call_busy_second", p.ID)
	second.TokenID = 7
	wantCode(t, e.create(second, limits), sipsim.ECONFLICT, "Phone is currently on another call")
}

// A token's, a phone's or an account's calls do not count against
// another's; a handset call (token 0) is not limited per token.
func testLimitsAreScoped(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	limits := sipsim.CallLimits{MaxConcurrentCalls: 1, CallsPerMinutePerToken: 1, CallsPerMinutePerPhone: 1}
	a := newCall("call_scope_a", phoneOnEnv(t, e, 1).ID)
	a.TokenID = 7
	must(t, e.create(a, limits))

	other := fullPhone(2)
	other.AccountID = OtherAccountID
	must(t, e.s.CreatePhone(e.ctx, other))
	b := newCall("call_scope_other_account", other.ID)
	b.AccountID, b.TokenID = OtherAccountID, 8
	must(t, e.create(b, limits))

	e.end(t, a)
	handset := newCall("call_scope_handset", phoneOnEnv(t, e, 3).ID)
	handset.Source = sipsim.SourceHandset
	must(t, e.create(handset, sipsim.CallLimits{CallsPerMinutePerToken: 1, CallsPerMinutePerPhone: 1}))
	e.end(t, handset)
	c := newCall("call_scope_other_token", phoneOnEnv(t, e, 4).ID)
	c.TokenID = 9
	must(t, e.create(c, limits))
}

// TalkTime sums answered calls that ended since the given time and the
// calls in progress so far, of one account.
func testTalkTime(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	midnight := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC) // the suite's clock reads 10:30 that day
	talk := func(id string, n int, account int64, answer, end time.Duration) *sipsim.Call {
		t.Helper()
		p := fullPhone(n)
		p.AccountID = account
		must(t, e.s.CreatePhone(e.ctx, p))
		c := newCall(id, p.ID)
		c.AccountID = account
		must(t, e.create(c, sipsim.CallLimits{}))
		c.Status, c.AnsweredAt = sipsim.CallInProgress, ptr(midnight.Add(answer))
		if end != 0 { // 0: still in progress
			finish(c, sipsim.CallCompleted, sipsim.ReasonTargetHangup, midnight.Add(end))
		}
		must(t, e.s.UpdateCall(e.ctx, c, nil))
		return c
	}
	none, err := e.s.TalkTime(e.ctx, sipsim.DefaultAccountID, midnight)
	must(t, err)
	if none != 0 {
		t.Fatalf("TalkTime with no calls = %s", none)
	}
	talk("call_yesterday", 1, sipsim.DefaultAccountID, -2*time.Hour, -time.Hour)              // ended before: not counted
	talk("call_across_midnight", 2, sipsim.DefaultAccountID, -10*time.Minute, 5*time.Minute)  // 15 min, all of it
	talk("call_morning", 3, sipsim.DefaultAccountID, 9*time.Hour, 9*time.Hour+90*time.Second) // 1.5 min
	talk("call_now", 4, sipsim.DefaultAccountID, 10*time.Hour+25*time.Minute, 0)              // in progress: 5 min 0.123456 s so far
	talk("call_other_account", 5, OtherAccountID, 9*time.Hour, 10*time.Hour)                  // not this account's
	unanswered := newCall("call_unanswered", phoneOnEnv(t, e, 6).ID)
	must(t, e.create(unanswered, sipsim.CallLimits{}))
	unanswered.Status = sipsim.CallRingingAgent
	must(t, e.s.UpdateCall(e.ctx, unanswered, nil))

	// A call stored already ended (an import) counts too.
	imported := newCall("call_imported", phoneOnEnv(t, e, 7).ID)
	finish(imported, sipsim.CallCompleted, sipsim.ReasonAgentHangup, midnight.Add(8*time.Hour+2*time.Minute))
	imported.AnsweredAt = ptr(midnight.Add(8 * time.Hour))
	must(t, e.create(imported, sipsim.CallLimits{}))
	// Saving an ended call again (a recording attached later) does not
	// count its talk twice.
	morning, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, "call_morning")
	must(t, err)
	must(t, e.s.UpdateCall(e.ctx, morning, nil))

	got, err := e.s.TalkTime(e.ctx, sipsim.DefaultAccountID, midnight)
	must(t, err)
	want := 15*time.Minute + 90*time.Second + 2*time.Minute + 5*time.Minute + 123*time.Millisecond
	if d := got - want; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("TalkTime = %s, want %s (to the millisecond)", got, want)
	}
	// Any time of the day names the day.
	if later, err := e.s.TalkTime(e.ctx, sipsim.DefaultAccountID, midnight.Add(10*time.Hour)); err != nil || later != got {
		t.Errorf("TalkTime at 10:00 = %s, %v; at midnight %s", later, err, got)
	}
	// Yesterday: the call that ended then, and the one in progress.
	yesterday, err := e.s.TalkTime(e.ctx, sipsim.DefaultAccountID, midnight.Add(-time.Hour))
	must(t, err)
	if want := time.Hour + 5*time.Minute + 123*time.Millisecond; yesterday-want < -time.Millisecond || yesterday-want > time.Millisecond {
		t.Errorf("TalkTime of the day before = %s, want %s", yesterday, want)
	}
	other, err := e.s.TalkTime(e.ctx, OtherAccountID, midnight)
	must(t, err)
	if other != time.Hour {
		t.Errorf("TalkTime of the other account = %s, want 1h", other)
	}
}
