package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// checkList checks a page's envelope, decodes its data into v and returns
// its next_cursor (nil on the last page).
func checkList(t testing.TB, rec *httptest.ResponseRecorder, v any) *string {
	t.Helper()
	m := envelopeKeys(t, rec)
	if got, want := sortedKeys(m), []string{"data", "next_cursor", "request_id", "status", "timestamp"}; !slices.Equal(got, want) {
		t.Errorf("list envelope keys = %v, want %v; body %s", got, want, rec.Body)
	}
	checkEnvelopeCommon(t, rec, m, http.StatusOK)
	if err := json.Unmarshal(m["data"], v); err != nil {
		t.Fatalf("data: %v: %s", err, m["data"])
	}
	var next *string
	if err := json.Unmarshal(m["next_cursor"], &next); err != nil {
		t.Fatalf("next_cursor = %s", m["next_cursor"])
	}
	return next
}

// addCalls stores n ringing calls of account 1, call_00 the oldest, one
// second apart; the last two share a creation time to exercise the id
// tie-break of the cursor.
func (a *testAPI) addCalls(n int) {
	for i := range n {
		created := testNow.Add(time.Duration(min(i, n-2)) * time.Second)
		c := ringingCall(fmt.Sprintf("call_%02d", i), created)
		a.calls.calls[c.ID] = c
	}
}

func TestListCalls(t *testing.T) {
	a := newTestAPI(t)
	a.addCalls(3)
	c, events := endedCall()
	c.CreatedAt = testNow.Add(time.Hour)
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events
	a.addTag(1, "lead")
	a.tagCall(c.ID, 1)
	a.calls.calls["call_theirs"] = &sipsim.Call{ID: "call_theirs", AccountID: 2, CreatedAt: testNow}

	var calls []wire.Call
	next := checkList(t, a.do(t, http.MethodGet, "/api/v2/calls", scopeToken(sipsim.ScopeCallsRead), ""), &calls)
	if next != nil {
		t.Errorf("next_cursor = %q on the only page", *next)
	}
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.ID)
		if c.Events == nil || len(c.Events) != 0 {
			t.Errorf("%s: events = %v, want [] in a list", c.ID, c.Events)
		}
		if c.EventsURL != "/api/v2/calls/"+c.ID+"/events" || c.Tags == nil {
			t.Errorf("%s: events_url %q, tags %v", c.ID, c.EventsURL, c.Tags)
		}
	}
	if want := []string{"call_done", "call_02", "call_01", "call_00"}; !slices.Equal(ids, want) {
		t.Errorf("calls = %v, want %v (newest first, this account only)", ids, want)
	}
	if len(calls[0].Tags) != 1 || calls[0].Tags[0].Name != "lead" {
		t.Errorf("tags of call_done = %+v", calls[0].Tags)
	}
	f := a.calls.lastF
	if f.AccountID != 1 || f.Limit != defaultCallPage+1 {
		t.Errorf("filter = %+v, want account 1 and one more than the default page", f)
	}
}

// Walking the pages with next_cursor returns every call once, in order.
func TestListCallsCursorRoundTrip(t *testing.T) {
	a := newTestAPI(t)
	a.addCalls(7)
	var ids []string
	target := "/api/v2/calls?limit=3"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var calls []wire.Call
		next := checkList(t, a.do(t, http.MethodGet, target, tokAll, ""), &calls)
		for _, c := range calls {
			ids = append(ids, c.ID)
		}
		if next == nil {
			break
		}
		cur, err := decodeCursor(*next)
		last := calls[len(calls)-1]
		if err != nil || cur.ID != last.ID || wire.Time(cur.CreatedAt) != last.CreatedAt {
			t.Errorf("cursor %q decodes to %+v, %v; want the last call of the page %s", *next, cur, err, last.ID)
		}
		target = "/api/v2/calls?limit=3&cursor=" + url.QueryEscape(*next)
	}
	want := []string{"call_06", "call_05", "call_04", "call_03", "call_02", "call_01", "call_00"}
	if !slices.Equal(ids, want) {
		t.Errorf("pages gave %v, want %v", ids, want)
	}
}

// A page exactly as long as what is left has no next page.
func TestListCallsLastFullPageHasNoCursor(t *testing.T) {
	a := newTestAPI(t)
	a.addCalls(2)
	var calls []wire.Call
	if next := checkList(t, a.do(t, http.MethodGet, "/api/v2/calls?limit=2", tokAll, ""), &calls); next != nil || len(calls) != 2 {
		t.Errorf("next_cursor = %v with %d calls", next, len(calls))
	}
}

func TestCursorEncoding(t *testing.T) {
	c := &sipsim.Call{ID: "call_x", CreatedAt: time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))}
	s := encodeCursor(c)
	got, err := decodeCursor(s)
	if err != nil || got.ID != "call_x" || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("decodeCursor(%q) = %+v, %v", s, got, err)
	}
	raw := `{"t":"2024-01-15T09:30:00.123456789Z","id":"call_x"}`
	if want := b64(raw); s != want {
		t.Errorf("cursor = %q, want base64url of %s", s, raw)
	}
	for _, bad := range []string{"", "!!!", b64(`{}`), b64(`{"t":"yesterday","id":"call_x"}`), b64(`{"t":"2024-01-15T09:30:00Z"}`),
		b64(`[1]`), b64(`{"t":"2024-01-15T09:30:00Z","id":"call_x"}`) + "=", string(make([]byte, 600))} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}

func TestListCallsFilters(t *testing.T) {
	after := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	before := time.Date(2024, 2, 1, 0, 0, 0, 0, time.FixedZone("", 3600))
	cursor := &sipsim.CallCursor{CreatedAt: after, ID: "call_x"}
	tests := []struct {
		query string
		want  sipsim.CallFilter
	}{
		{"", sipsim.CallFilter{}},
		{"status=busy", sipsim.CallFilter{Statuses: []sipsim.CallStatus{sipsim.CallBusy}}},
		{"status=busy,no_answer&status=failed&status=busy", sipsim.CallFilter{Statuses: []sipsim.CallStatus{sipsim.CallBusy, sipsim.CallNoAnswer, sipsim.CallFailed}}},
		{"status=busy,%20no_answer", sipsim.CallFilter{Statuses: []sipsim.CallStatus{sipsim.CallBusy, sipsim.CallNoAnswer}}},
		{"phone_id=123", sipsim.CallFilter{PhoneID: 123}},
		{"target_number=%2B33698765432", sipsim.CallFilter{TargetNumber: "+33698765432"}},
		{"target_number=+33698765432", sipsim.CallFilter{TargetNumber: "+33698765432"}}, // an unescaped + arrives as a space
		{"tag=lead", sipsim.CallFilter{Tag: "lead"}},
		{"source=handset&direction=internal", sipsim.CallFilter{Source: "handset", Direction: "internal"}},
		{"tag=%20follow%20up%20", sipsim.CallFilter{Tag: "follow up"}},
		{"created_after=2024-01-01T00:00:00Z&created_before=2024-02-01T00:00:00%2B01:00", sipsim.CallFilter{CreatedAfter: &after, CreatedBefore: &before}},
		{"created_before=2024-02-01T00:00:00+01:00", sipsim.CallFilter{CreatedBefore: &before}},
		{"ended_reason=target_busy,canceled_via_api", sipsim.CallFilter{EndedReasons: []sipsim.EndReason{sipsim.ReasonTargetBusy, sipsim.ReasonCanceledViaAPI}}},
		{"limit=1", sipsim.CallFilter{Limit: 1}},
		{"limit=100", sipsim.CallFilter{Limit: 100}},
		{"cursor=" + b64(`{"t":"2024-01-01T00:00:00Z","id":"call_x"}`), sipsim.CallFilter{After: cursor}},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		var calls []wire.Call
		checkList(t, a.do(t, http.MethodGet, "/api/v2/calls?"+tt.query, tokAll, ""), &calls)
		want := tt.want
		want.AccountID = 1
		if want.Limit == 0 {
			want.Limit = defaultCallPage
		}
		want.Limit++ // one more tells whether there is a next page
		if got := a.calls.lastF; !filtersEqual(got, want) {
			t.Errorf("?%s: filter = %+v, want %+v", tt.query, got, want)
		}
	}
}

func filtersEqual(a, b sipsim.CallFilter) bool {
	timeEq := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	curEq := func(x, y *sipsim.CallCursor) bool {
		return x == nil && y == nil || x != nil && y != nil && x.ID == y.ID && x.CreatedAt.Equal(y.CreatedAt)
	}
	return a.AccountID == b.AccountID && slices.Equal(a.Statuses, b.Statuses) && a.PhoneID == b.PhoneID &&
		a.TargetNumber == b.TargetNumber && a.Tag == b.Tag && timeEq(a.CreatedAfter, b.CreatedAfter) &&
		timeEq(a.CreatedBefore, b.CreatedBefore) && slices.Equal(a.EndedReasons, b.EndedReasons) &&
		curEq(a.After, b.After) && a.Limit == b.Limit && a.Source == b.Source && a.Direction == b.Direction
}

func TestListCallsInvalidFilters(t *testing.T) {
	statusMsg := "status must be one or more of initiating, ringing_agent, dialing_target, in_progress, completed, busy, no_answer, failed, canceled, separated by commas"
	reasonMsg := "ended_reason must be one or more of " + joinNames(endReasons) + ", separated by commas"
	timeMsg := func(p string) string { return p + " must be an RFC 3339 time, e.g. 2024-01-15T10:30:00Z" }
	numberMsg := "target_number is invalid: use E.164 format (+, country code, number, no spaces), e.g. +33612345678"
	tests := []struct {
		query string
		want  []string
	}{
		{"status=ringing", []string{statusMsg}},
		{"status=", []string{statusMsg}},
		{"status=busy,,failed", []string{statusMsg}},
		{"status=BUSY", []string{statusMsg}},
		{"ended_reason=hangup", []string{reasonMsg}},
		{"ended_reason=target_busy&ended_reason=", []string{reasonMsg}},
		{"phone_id=0", []string{"phone_id must be a positive integer"}},
		{"phone_id=-3", []string{"phone_id must be a positive integer"}},
		{"phone_id=abc", []string{"phone_id must be a positive integer"}},
		{"phone_id=99999999999999999999", []string{"phone_id must be a positive integer"}},
		{"phone_id=1&phone_id=2", []string{"phone_id must be given once"}},
		{"target_number=0698765432", []string{numberMsg}},
		{"target_number=", []string{numberMsg}},
		{"tag=", []string{"tag must be a tag name of 1 to 64 characters"}},
		{"tag=" + strings.Repeat("x", 65), []string{"tag must be a tag name of 1 to 64 characters"}},
		{"created_after=2024-01-15", []string{timeMsg("created_after")}},
		{"created_before=yesterday", []string{timeMsg("created_before")}},
		{"created_after=2024-02-01T00:00:00Z&created_before=2024-01-01T00:00:00Z", []string{"created_after must be before created_before"}},
		{"limit=0", []string{"limit must be an integer between 1 and 100"}},
		{"limit=101", []string{"limit must be an integer between 1 and 100"}},
		{"limit=ten", []string{"limit must be an integer between 1 and 100"}},
		{"cursor=nope", []string{"cursor is invalid"}},
		{"cursor=a&cursor=b", []string{"cursor must be given once"}},
		{"sort=asc", []string{`unknown query parameter "sort"`}},
		{"source=web", []string{"source must be one of api, handset"}},
		{"direction=inbound", []string{"direction must be one of outbound, internal"}},
		{"source=api&source=handset", []string{"source must be given once"}},
		{"status=nope&limit=0&phone_id=x", []string{statusMsg, "phone_id must be a positive integer", "limit must be an integer between 1 and 100"}},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		rec := a.do(t, http.MethodGet, "/api/v2/calls?"+tt.query, tokAll, "")
		if errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/calls"); !slices.Equal(errs, tt.want) {
			t.Errorf("?%s: errors = %q, want %q", tt.query, errs, tt.want)
		}
	}
}

func TestListCallsServiceErrors(t *testing.T) {
	a := newTestAPI(t)
	a.calls.listErr = sipsim.Errorf(sipsim.EINVALID, "created_after is too far in the past")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls", tokAll, ""), 400, "/api/v2/calls", "created_after is too far in the past")
	a.calls.listErr = fmt.Errorf("database is locked")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls", tokAll, ""), 500, "/api/v2/calls", "Internal error")
}
