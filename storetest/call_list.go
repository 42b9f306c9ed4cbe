package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testCallHistory(t *testing.T, open OpenFunc) {
	t.Run("Filters", func(t *testing.T) { testCallFilters(t, open) })
	t.Run("ListedCallsAreWhole", func(t *testing.T) { testListedCallsAreWhole(t, open) })
	t.Run("CursorPagination", func(t *testing.T) { testCursorPagination(t, open) })
	t.Run("FilteredPagination", func(t *testing.T) { testFilteredPagination(t, open) })
	t.Run("Limit", func(t *testing.T) { testCallsLimit(t, open) })
	t.Run("ActiveCall", func(t *testing.T) { testActiveCall(t, open) })
	t.Run("RecentCall", func(t *testing.T) { testRecentCall(t, open) })
}

// storeCall creates a call of account from phoneID to target, directly in
// status (a final status gets reason and an end time), with its
// call.created event, at the clock's current time.
func (e *env) storeCall(t *testing.T, id string, account, phoneID int64, target string, status sipsim.CallStatus, reason sipsim.EndReason) *sipsim.Call {
	t.Helper()
	c := newCall(id, phoneID)
	c.AccountID, c.TargetNumber, c.Status = account, target, status
	if status.Final() {
		c.EndedReason, c.EndedAt = reason, ptr(e.clock.Now())
	}
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Now()), sipsim.CallLimits{}))
	return c
}

func callIDs(calls []*sipsim.Call) []string {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	return ids
}

func wantIDs(t *testing.T, what string, got []*sipsim.Call, want ...string) {
	t.Helper()
	if g := callIDs(got); !slices.Equal(g, want) {
		t.Fatalf("%s = %v, want %v", what, g, want)
	}
}

const (
	targetA = "+33600000001"
	targetB = "+33600000002"
)

// history is a small call history of the default account, one call a
// second apart except c07 and c08 which share a creation time, plus one
// call of the other account at the time of c04.
type history struct {
	p1, p2 *sipsim.Phone
	times  map[string]time.Time // creation time by call id
	lead   *sipsim.Tag          // on c01, c04, c07
	vip    *sipsim.Tag          // on c04
}

func newHistory(t *testing.T, e *env) *history {
	t.Helper()
	h := &history{p1: phoneOnEnv(t, e, 1), p2: phoneOnEnv(t, e, 2), times: map[string]time.Time{}}
	for _, c := range []struct {
		id     string
		phone  *sipsim.Phone
		target string
		status sipsim.CallStatus
		reason sipsim.EndReason
		tick   bool
	}{
		{"call_c01", h.p1, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup, true},
		{"call_c02", h.p1, targetB, sipsim.CallBusy, sipsim.ReasonTargetBusy, true},
		{"call_c03", h.p2, targetA, sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, true},
		{"call_c04", h.p2, targetB, sipsim.CallCompleted, sipsim.ReasonAgentHangup, true},
		{"call_c05", h.p1, targetA, sipsim.CallFailed, sipsim.ReasonTrunkRejected, true},
		{"call_c06", h.p1, targetA, sipsim.CallCanceled, sipsim.ReasonCanceledViaAPI, true},
		{"call_c07", h.p2, targetA, sipsim.CallInProgress, "", true},
		{"call_c08", h.p1, targetB, sipsim.CallRingingAgent, "", false},
	} {
		if c.tick {
			e.clock.Advance(time.Second)
		}
		stored := e.storeCall(t, c.id, sipsim.DefaultAccountID, c.phone.ID, c.target, c.status, c.reason)
		h.times[c.id] = e.clock.Now()
		// Two calls were dialled on handsets, one of them to a colleague.
		switch c.id {
		case "call_c02":
			stored.Source = sipsim.SourceHandset
			must(t, e.s.UpdateCall(e.ctx, stored, nil))
		case "call_c03":
			stored.Source, stored.Direction, stored.TargetNumber = sipsim.SourceHandset, sipsim.DirectionInternal, "102"
			must(t, e.s.UpdateCall(e.ctx, stored, nil))
		}
		if c.id == "call_c04" {
			e.storeCall(t, "call_other", OtherAccountID, h.p1.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
		}
	}
	h.lead = &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "lead", Color: "#00ff00"}
	h.vip = &sipsim.Tag{AccountID: sipsim.DefaultAccountID, Name: "vip", Color: "#ff0000"}
	must(t, e.s.CreateTag(e.ctx, h.lead))
	must(t, e.s.CreateTag(e.ctx, h.vip))
	for _, id := range []string{"call_c01", "call_c04", "call_c07"} {
		must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, id, h.lead.ID))
	}
	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, "call_c04", h.vip.ID))
	// The other account's tag of the same name is on its call: filtering
	// by name must stay within the account.
	otherLead := &sipsim.Tag{AccountID: OtherAccountID, Name: "lead", Color: "#00ff00"}
	must(t, e.s.CreateTag(e.ctx, otherLead))
	must(t, e.s.TagCall(e.ctx, OtherAccountID, "call_other", otherLead.ID))
	return h
}

func testCallFilters(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	h := newHistory(t, e)
	at := func(id string) *time.Time { return ptr(h.times[id]) }
	all := []string{"call_c08", "call_c07", "call_c06", "call_c05", "call_c04", "call_c03", "call_c02", "call_c01"}
	acct := sipsim.DefaultAccountID
	for _, tt := range []struct {
		name string
		f    sipsim.CallFilter
		want []string
	}{
		{"no filter, newest first, id breaks ties", sipsim.CallFilter{AccountID: acct}, all},
		{"one status", sipsim.CallFilter{AccountID: acct, Statuses: []sipsim.CallStatus{sipsim.CallCompleted}},
			[]string{"call_c04", "call_c01"}},
		{"any of statuses", sipsim.CallFilter{AccountID: acct, Statuses: []sipsim.CallStatus{sipsim.CallCompleted, sipsim.CallBusy, sipsim.CallRingingAgent}},
			[]string{"call_c08", "call_c04", "call_c02", "call_c01"}},
		{"status nobody has", sipsim.CallFilter{AccountID: acct, Statuses: []sipsim.CallStatus{sipsim.CallDialingTarget}}, nil},
		{"phone", sipsim.CallFilter{AccountID: acct, PhoneID: h.p2.ID}, []string{"call_c07", "call_c04", "call_c03"}},
		{"target number", sipsim.CallFilter{AccountID: acct, TargetNumber: targetA},
			[]string{"call_c07", "call_c06", "call_c05", "call_c01"}},
		{"source handset", sipsim.CallFilter{AccountID: acct, Source: sipsim.SourceHandset}, []string{"call_c03", "call_c02"}},
		{"source api", sipsim.CallFilter{AccountID: acct, Source: sipsim.SourceAPI},
			[]string{"call_c08", "call_c07", "call_c06", "call_c05", "call_c04", "call_c01"}},
		{"internal", sipsim.CallFilter{AccountID: acct, Direction: sipsim.DirectionInternal}, []string{"call_c03"}},
		{"outbound from handsets", sipsim.CallFilter{AccountID: acct, Source: sipsim.SourceHandset, Direction: sipsim.DirectionOutbound}, []string{"call_c02"}},
		{"tag", sipsim.CallFilter{AccountID: acct, Tag: "lead"}, []string{"call_c07", "call_c04", "call_c01"}},
		{"other tag", sipsim.CallFilter{AccountID: acct, Tag: "vip"}, []string{"call_c04"}},
		{"unknown tag", sipsim.CallFilter{AccountID: acct, Tag: "nobody"}, nil},
		{"created after, inclusive", sipsim.CallFilter{AccountID: acct, CreatedAfter: at("call_c03")},
			[]string{"call_c08", "call_c07", "call_c06", "call_c05", "call_c04", "call_c03"}},
		{"created before, exclusive", sipsim.CallFilter{AccountID: acct, CreatedBefore: at("call_c03")},
			[]string{"call_c02", "call_c01"}},
		{"created window", sipsim.CallFilter{AccountID: acct, CreatedAfter: at("call_c02"), CreatedBefore: at("call_c05")},
			[]string{"call_c04", "call_c03", "call_c02"}},
		{"empty window", sipsim.CallFilter{AccountID: acct, CreatedAfter: at("call_c03"), CreatedBefore: at("call_c03")}, nil},
		{"any of ended reasons", sipsim.CallFilter{AccountID: acct, EndedReasons: []sipsim.EndReason{sipsim.ReasonTargetHangup, sipsim.ReasonAgentHangup}},
			[]string{"call_c04", "call_c01"}},
		{"after a cursor", sipsim.CallFilter{AccountID: acct, After: &sipsim.CallCursor{CreatedAt: h.times["call_c05"], ID: "call_c05"}},
			[]string{"call_c04", "call_c03", "call_c02", "call_c01"}},
		{"after a cursor inside a tie", sipsim.CallFilter{AccountID: acct, After: &sipsim.CallCursor{CreatedAt: h.times["call_c08"], ID: "call_c08"}},
			all[1:]},
		{"phone, target and statuses", sipsim.CallFilter{AccountID: acct, PhoneID: h.p1.ID, TargetNumber: targetA,
			Statuses: []sipsim.CallStatus{sipsim.CallCompleted, sipsim.CallFailed}}, []string{"call_c05", "call_c01"}},
		{"tag, status and created after", sipsim.CallFilter{AccountID: acct, Tag: "lead",
			Statuses: []sipsim.CallStatus{sipsim.CallCompleted}, CreatedAfter: at("call_c02")}, []string{"call_c04"}},
		{"phone and ended reason", sipsim.CallFilter{AccountID: acct, PhoneID: h.p2.ID,
			EndedReasons: []sipsim.EndReason{sipsim.ReasonAgentNoAnswer}}, []string{"call_c03"}},
		{"tag, target and window", sipsim.CallFilter{AccountID: acct, Tag: "lead", TargetNumber: targetA,
			CreatedAfter: at("call_c01"), CreatedBefore: ptr(h.times["call_c08"].Add(time.Microsecond))}, []string{"call_c07", "call_c01"}},
		{"window ending at a tie excludes both", sipsim.CallFilter{AccountID: acct, CreatedAfter: at("call_c06"), CreatedBefore: at("call_c08")},
			[]string{"call_c06"}},
		{"every filter", sipsim.CallFilter{AccountID: acct, Statuses: []sipsim.CallStatus{sipsim.CallCompleted},
			PhoneID: h.p2.ID, TargetNumber: targetB, Tag: "vip", CreatedAfter: at("call_c01"), CreatedBefore: at("call_c07"),
			EndedReasons: []sipsim.EndReason{sipsim.ReasonAgentHangup},
			After:        &sipsim.CallCursor{CreatedAt: h.times["call_c05"], ID: "call_c05"}}, []string{"call_c04"}},
		{"filters that exclude each other", sipsim.CallFilter{AccountID: acct, PhoneID: h.p2.ID, Tag: "vip", TargetNumber: targetA}, nil},
		{"other account", sipsim.CallFilter{AccountID: OtherAccountID}, []string{"call_other"}},
		{"other account by tag name", sipsim.CallFilter{AccountID: OtherAccountID, Tag: "lead"}, []string{"call_other"}},
		{"account without calls", sipsim.CallFilter{AccountID: OtherAccountID + 1}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.Calls(e.ctx, tt.f)
			must(t, err)
			wantIDs(t, "Calls", got, tt.want...)
		})
	}
}

// testListedCallsAreWhole checks that a listed call is the same object as
// the call read alone, tags included, ordered by name.
func testListedCallsAreWhole(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	newHistory(t, e)
	got, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID})
	must(t, err)
	for _, c := range got {
		one, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
		must(t, err)
		wantEqual(t, "listed "+c.ID, c, one)
	}
	c04, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, "call_c04")
	must(t, err)
	if names := tagNames(c04.Tags); names != "lead,vip" {
		t.Fatalf("tags of call_c04 = %s, want lead,vip", names)
	}
	c02, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, "call_c02")
	must(t, err)
	if len(c02.Tags) != 0 {
		t.Fatalf("untagged call has tags %s", tagNames(c02.Tags))
	}
}

func tagNames(tags []sipsim.Tag) string {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}

// walk lists every page of f with the given page size, running between
// after each page, and returns the ids in the order they came.
func walk(t *testing.T, e *env, f sipsim.CallFilter, size int, between func(page int)) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	f.Limit = size
	for page := 0; ; page++ {
		got, err := e.s.Calls(e.ctx, f)
		must(t, err)
		if len(got) > size {
			t.Fatalf("page %d has %d calls, limit %d", page, len(got), size)
		}
		for _, c := range got {
			if seen[c.ID] {
				t.Fatalf("page %d repeats %s", page, c.ID)
			}
			seen[c.ID] = true
			ids = append(ids, c.ID)
		}
		if len(got) < size {
			return ids
		}
		if page > 100 {
			t.Fatal("pagination does not end")
		}
		last := got[len(got)-1]
		f.After = &sipsim.CallCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		between(page)
	}
}

// testCursorPagination walks the history page by page while new calls
// arrive between pages: the walk returns exactly the calls that existed
// when it started, newest first, with no duplicate and no gap, even where
// a page ends in the middle of calls created at the same instant.
func testCursorPagination(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	for i := range 23 {
		if i%3 == 0 { // groups of three calls share a creation time
			e.clock.Advance(time.Second)
		}
		e.storeCall(t, fmt.Sprintf("call_page_%02d", i), sipsim.DefaultAccountID, p.ID, targetA,
			sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	}
	all := sipsim.CallFilter{AccountID: sipsim.DefaultAccountID}
	for _, size := range []int{1, 2, 4, 5, 23, 24} {
		t.Run(fmt.Sprint("page size ", size), func(t *testing.T) {
			before, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Limit: 1000})
			must(t, err)
			want := callIDs(before)
			got := walk(t, e, all, size, func(page int) {
				e.clock.Advance(time.Millisecond)
				e.storeCall(t, fmt.Sprintf("call_new_%d_%d", size, page), sipsim.DefaultAccountID, p.ID, targetB,
					sipsim.CallCompleted, sipsim.ReasonTargetHangup)
			})
			if !slices.Equal(got, want) {
				t.Fatalf("walk = %v\nwant %v", got, want)
			}
		})
	}
}

// testFilteredPagination walks a filtered listing: the cursor combines with
// the filters.
func testFilteredPagination(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p1, p2 := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
	var want []string
	for i := range 20 {
		e.clock.Advance(time.Second)
		phone, status, reason := p1, sipsim.CallCompleted, sipsim.ReasonTargetHangup
		if i%2 == 1 {
			phone = p2
		}
		if i%3 == 0 {
			status, reason = sipsim.CallBusy, sipsim.ReasonTargetBusy
		}
		id := fmt.Sprintf("call_f%02d", i)
		e.storeCall(t, id, sipsim.DefaultAccountID, phone.ID, targetA, status, reason)
		if phone == p1 && status == sipsim.CallCompleted {
			want = append(want, id)
		}
	}
	slices.Reverse(want)
	f := sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, PhoneID: p1.ID, Statuses: []sipsim.CallStatus{sipsim.CallCompleted}}
	got := walk(t, e, f, 2, func(int) {})
	if !slices.Equal(got, want) {
		t.Fatalf("walk = %v, want %v", got, want)
	}
}

func testCallsLimit(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	for i := range 1001 {
		e.clock.Advance(time.Millisecond)
		e.storeCall(t, fmt.Sprintf("call_%04d", i), sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	}
	for _, tt := range []struct {
		limit, want int
	}{{0, 25}, {-1, 25}, {1, 1}, {100, 100}, {1000, 1000}, {1001, 1000}, {5000, 1000}} {
		got, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Limit: tt.limit})
		must(t, err)
		if len(got) != tt.want {
			t.Fatalf("Limit %d: %d calls, want %d", tt.limit, len(got), tt.want)
		}
		if got[0].ID != "call_1000" {
			t.Fatalf("Limit %d: first call %s, want the newest", tt.limit, got[0].ID)
		}
	}
}

func testActiveCall(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p, other := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
	_, err := e.s.ActiveCall(e.ctx, sipsim.DefaultAccountID, p.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Call not found")

	e.storeCall(t, "call_done", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	e.clock.Advance(time.Second)
	c := e.storeCall(t, "call_live", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallInitiating, "")
	e.storeCall(t, "call_elsewhere", sipsim.DefaultAccountID, other.ID, targetA, sipsim.CallInProgress, "")

	for _, status := range sipsim.ActiveCallStatuses {
		c.Status = status
		must(t, e.s.UpdateCall(e.ctx, c, nil))
		got, err := e.s.ActiveCall(e.ctx, sipsim.DefaultAccountID, p.ID)
		must(t, err)
		wantEqual(t, "ActiveCall while "+string(status), got, c)
	}
	_, err = e.s.ActiveCall(e.ctx, OtherAccountID, p.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Call not found")

	finish(c, sipsim.CallCompleted, sipsim.ReasonAgentHangup, e.clock.Advance(time.Second))
	must(t, e.s.UpdateCall(e.ctx, c, event(c, sipsim.EventCallEnded, e.clock.Now())))
	_, err = e.s.ActiveCall(e.ctx, sipsim.DefaultAccountID, p.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Call not found")
}

// testRecentCall checks the double-click guard's query at the edges of its
// window: a call created exactly at since counts, one a microsecond
// earlier does not.
func testRecentCall(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p, other := phoneOnEnv(t, e, 1), phoneOnEnv(t, e, 2)
	acct := sipsim.DefaultAccountID
	_, err := e.s.RecentCall(e.ctx, acct, p.ID, targetA, e.clock.Now().Add(-time.Hour))
	wantCode(t, err, sipsim.ENOTFOUND, "Call not found")

	first := e.storeCall(t, "call_first", acct, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	e.clock.Advance(2 * time.Second)
	second := e.storeCall(t, "call_second", acct, p.ID, targetA, sipsim.CallBusy, sipsim.ReasonTargetBusy)
	e.storeCall(t, "call_other_target", acct, p.ID, targetB, sipsim.CallRingingAgent, "")
	e.storeCall(t, "call_other_phone", acct, other.ID, targetA, sipsim.CallRingingAgent, "")
	e.clock.Advance(3 * time.Second)

	for _, tt := range []struct {
		name  string
		since time.Time
		want  *sipsim.Call
	}{
		{"window covers both: the newest", first.CreatedAt.Add(-5 * time.Second), second},
		{"since exactly the first", first.CreatedAt, second},
		{"since exactly the newest", second.CreatedAt, second},
		{"a microsecond after the newest", second.CreatedAt.Add(time.Microsecond), nil},
		{"in the future", e.clock.Now(), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.RecentCall(e.ctx, acct, p.ID, targetA, tt.since)
			if tt.want == nil {
				wantCode(t, err, sipsim.ENOTFOUND, "Call not found")
				return
			}
			must(t, err)
			wantEqual(t, "RecentCall", got, tt.want)
		})
	}

	// Only the older call in the window: found whatever its status.
	e2 := newEnv(t, open)
	p2 := phoneOnEnv(t, e2, 1)
	c := e2.storeCall(t, "call_only", acct, p2.ID, targetA, sipsim.CallFailed, sipsim.ReasonTrunkRejected)
	got, err := e2.s.RecentCall(e2.ctx, acct, p2.ID, targetA, c.CreatedAt)
	must(t, err)
	wantEqual(t, "RecentCall of a failed call", got, c)
	_, err = e2.s.RecentCall(e2.ctx, acct, p2.ID, targetA, c.CreatedAt.Add(time.Microsecond))
	wantCode(t, err, sipsim.ENOTFOUND, "")
	_, err = e2.s.RecentCall(e2.ctx, OtherAccountID, p2.ID, targetA, c.CreatedAt)
	wantCode(t, err, sipsim.ENOTFOUND, "")
}
