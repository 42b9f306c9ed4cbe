package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

func TestCreateCall(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodPost, "/api/v2/calls", scopeToken(sipsim.ScopeCallsCreate), `{"phone_id": 123, "target_number": "+33698765432"}`)
	var data json.RawMessage
	checkData(t, rec, http.StatusCreated, &data)
	if got := rec.Header().Get("Location"); got != "/api/v2/calls/call_test1" {
		t.Errorf("Location = %q", got)
	}
	jsonEqual(t, data, `{
		"id": "call_test1", "phone_id": 123, "target_number": "+33698765432",
		"caller_id": "+33612345678", "direction": "outbound", "source": "api",
		"status": "initiating", "ended_reason": null,
		"created_at": "2024-01-15T10:30:00.000Z", "updated_at": "2024-01-15T10:30:00.000Z",
		"answered_at": null, "ended_at": null,
		"ring_duration_seconds": 0, "talk_duration_seconds": 0,
		"agent_leg": {"status": "idle", "sip_code": null, "contact": null, "forwarded_to": null, "answered_by": null, "started_at": null, "ringing_at": null, "answered_at": null, "ended_at": null},
		"target_leg": {"status": "idle", "sip_code": null, "contact": null, "forwarded_to": null, "answered_by": null, "started_at": null, "ringing_at": null, "answered_at": null, "ended_at": null},
		"events": [{"id": 1, "type": "call.created", "status": "initiating", "at": "2024-01-15T10:30:00.000Z"}],
		"events_url": "/api/v2/calls/call_test1/events",
		"tags": [],
		"recording": null
	}`)
	want := []sipsim.CreateCallRequest{{AccountID: 1, PhoneID: 123, TargetNumber: "+33698765432"}}
	if !slices.Equal(a.calls.requests, want) {
		t.Errorf("service got %+v, want %+v", a.calls.requests, want)
	}
}

func TestCreateCallUsesTheTokensAccount(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokOther, `{"phone_id": 5, "target_number": "+33698765432"}`)
	checkData(t, rec, http.StatusCreated, nil)
	if len(a.calls.requests) != 1 || a.calls.requests[0].AccountID != 2 {
		t.Errorf("service got %+v", a.calls.requests)
	}
}

func TestCreateCallBadBody(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty body", ``, []string{"request body must be a JSON object"}},
		{"array", `[{"phone_id": 1}]`, []string{"request body must be a JSON object"}},
		{"string", `"hello"`, []string{"request body must be a JSON object"}},
		{"null", `null`, []string{"request body must be a JSON object"}},
		{"not JSON", `phone_id=1&target_number=%2B33698765432`, []string{"request body must be a JSON object"}},
		{"two objects", `{"phone_id": 1, "target_number": "+33698765432"}{}`, []string{"request body must be a JSON object"}},
		{"empty object", `{}`, []string{"phone_id is required", "target_number is required"}},
		{"missing phone_id", `{"target_number": "+33698765432"}`, []string{"phone_id is required"}},
		{"missing target_number", `{"phone_id": 123}`, []string{"target_number is required"}},
		{"phone_id as string", `{"phone_id": "123", "target_number": "+33698765432"}`, []string{"phone_id must be an integer"}},
		{"phone_id fractional", `{"phone_id": 1.5, "target_number": "+33698765432"}`, []string{"phone_id must be an integer"}},
		{"phone_id exponent", `{"phone_id": 1e2, "target_number": "+33698765432"}`, []string{"phone_id must be an integer"}},
		{"phone_id huge", `{"phone_id": 99999999999999999999, "target_number": "+33698765432"}`, []string{"phone_id must be an integer"}},
		{"phone_id null", `{"phone_id": null, "target_number": "+33698765432"}`, []string{"phone_id must be an integer"}},
		{"phone_id zero", `{"phone_id": 0, "target_number": "+33698765432"}`, []string{"phone_id must be a positive integer"}},
		{"phone_id negative", `{"phone_id": -4, "target_number": "+33698765432"}`, []string{"phone_id must be a positive integer"}},
		{"target_number as number", `{"phone_id": 123, "target_number": 33698765432}`, []string{"target_number must be a string"}},
		{"target_number as object", `{"phone_id": 123, "target_number": {"number": "+33698765432"}}`, []string{"target_number must be a string"}},
		{"unknown field", `{"phone_id": 123, "target_number": "+33698765432", "caller_id": "+33612345678"}`, []string{`unknown field "caller_id"`}},
		{"misspelt field", `{"phoneId": 123, "target_number": "+33698765432"}`, []string{"phone_id is required", `unknown field "phoneId"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t)
			rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, tt.body)
			errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/calls")
			if !slices.Equal(errs, tt.want) {
				t.Errorf("errors = %q, want %q", errs, tt.want)
			}
			if len(a.calls.requests) != 0 {
				t.Error("a bad body reached the call service")
			}
		})
	}
}

func TestCreateCallUnknownQueryParameter(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodPost, "/api/v2/calls?dry_run=1", tokAll, `{"phone_id": 123, "target_number": "+33698765432"}`)
	checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/calls", `unknown query parameter "dry_run"`)
}

func TestCreateCallBodyTooLarge(t *testing.T) {
	a := newTestAPI(t)
	body := `{"phone_id": 123, "target_number": "` + strings.Repeat("1", maxBodyBytes) + `"}`
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, body)
	checkErrorMessage(t, rec, http.StatusRequestEntityTooLarge, "/api/v2/calls", "request body must not exceed 65536 bytes")
}

func TestCreateCallServiceErrors(t *testing.T) {
	tests := []struct {
		err    error
		status int
		msg    string
	}{
		{sipsim.Errorf(sipsim.ENOTFOUND, "phone 123 is not in account 1"), 404, "Phone not found"},
		{sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call"), 409, "Phone is currently on another call"},
		{sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone is not active"), 422, "Phone is not active"},
		{sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone has no registered device"), 422, "Phone has no registered device"},
		{sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls"), 429, "Too many calls"},
		{sipsim.Errorf(sipsim.EUNAVAILABLE, "Server is shutting down"), 503, "Server is shutting down"},
		{errors.New("constraint violated in table calls"), 500, "Internal error"},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, tt.err }
		rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "+33698765432"}`)
		checkErrorMessage(t, rec, tt.status, "/api/v2/calls", tt.msg)
		if tt.status == 500 && strings.Contains(rec.Body.String(), "constraint") {
			t.Errorf("cause leaked: %s", rec.Body)
		}
	}
}

// The documented message stays errors[0]; how to fix it follows.
func TestCreateCallInvalidNumberExplainsTheFormat(t *testing.T) {
	a := newTestAPI(t)
	invalid := sipsim.Errorf(sipsim.EINVALID, "target_number is invalid")
	invalid.Details = []string{"Use E.164 format: did you mean +33698765432?"}
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, invalid }
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "06 98 76 54 32"}`)
	errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/calls")
	if want := []string{"target_number is invalid", "Use E.164 format: did you mean +33698765432?"}; !slices.Equal(errs, want) {
		t.Errorf("errors = %q, want %q", errs, want)
	}
}

func TestCreateCallSucceedsWhenTimelineIsUnreadable(t *testing.T) {
	a := newTestAPI(t)
	a.calls.eventsErr = errors.New("events table locked")
	var data struct {
		ID     string
		Status string
		Events []wire.CallEvent
	}
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "+33698765432"}`), http.StatusCreated, &data)
	if data.ID != "call_test1" || data.Status != "initiating" || data.Events == nil || len(data.Events) != 0 {
		t.Errorf("data = %+v, want the call with events []", data)
	}
	if !strings.Contains(a.logs.String(), "events table locked") {
		t.Error("the events failure was not logged")
	}
}

// endedCall is a completed call with both legs and a full timeline.
func endedCall() (*sipsim.Call, []*sipsim.CallEvent) {
	at := func(ms int) *time.Time {
		t := testNow.Add(time.Duration(ms) * time.Millisecond)
		return &t
	}
	c := &sipsim.Call{
		ID: "call_done", AccountID: 1, PhoneID: 123, TargetNumber: "+33698765432", CallerID: "+33987654321",
		Direction: "outbound", Source: "api", Status: sipsim.CallCompleted, EndedReason: sipsim.ReasonTargetHangup,
		AgentLeg: sipsim.Leg{Status: sipsim.LegCompleted, SIPCode: 200, Contact: "sip:101@192.0.2.10:5060", AnsweredBy: sipsim.AnsweredByPhone,
			StartedAt: at(20), RingingAt: at(180), AnsweredAt: at(5900), EndedAt: at(134512)},
		TargetLeg: sipsim.Leg{Status: sipsim.LegCompleted, SIPCode: 200, Contact: "sip:+33698765432@trunk.example.net",
			StartedAt: at(6100), RingingAt: at(7000), AnsweredAt: at(12250), EndedAt: at(134512)},
		CreatedAt: testNow, UpdatedAt: *at(134512), AnsweredAt: at(12250), EndedAt: at(134512),
	}
	var events []*sipsim.CallEvent
	for i, e := range []struct {
		typ    string
		status sipsim.CallStatus
		ms     int
	}{
		{sipsim.EventCallCreated, sipsim.CallInitiating, 0},
		{sipsim.EventCallRingingAgent, sipsim.CallRingingAgent, 180},
		{sipsim.EventCallAgentAnswered, sipsim.CallDialingTarget, 5900},
		{sipsim.EventCallTargetRinging, sipsim.CallDialingTarget, 7000},
		{sipsim.EventCallAnswered, sipsim.CallInProgress, 12250},
		{sipsim.EventCallEnded, sipsim.CallCompleted, 134512},
	} {
		events = append(events, &sipsim.CallEvent{ID: int64(i + 1), AccountID: 1, CallID: c.ID, Type: e.typ, Status: e.status, At: *at(e.ms)})
	}
	return c, events
}

func TestGetCall(t *testing.T) {
	a := newTestAPI(t)
	c, events := endedCall()
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", scopeToken(sipsim.ScopeCallsRead), ""), http.StatusOK, &data)
	jsonEqual(t, data, `{
		"id": "call_done", "phone_id": 123, "target_number": "+33698765432",
		"caller_id": "+33987654321", "direction": "outbound", "source": "api",
		"status": "completed", "ended_reason": "target_hangup",
		"created_at": "2024-01-15T10:30:00.000Z", "updated_at": "2024-01-15T10:32:14.512Z",
		"answered_at": "2024-01-15T10:30:12.250Z", "ended_at": "2024-01-15T10:32:14.512Z",
		"ring_duration_seconds": 6.15, "talk_duration_seconds": 122.262,
		"agent_leg": {"status": "completed", "sip_code": 200, "contact": "sip:101@192.0.2.10:5060", "forwarded_to": null, "answered_by": "phone",
			"started_at": "2024-01-15T10:30:00.020Z", "ringing_at": "2024-01-15T10:30:00.180Z",
			"answered_at": "2024-01-15T10:30:05.900Z", "ended_at": "2024-01-15T10:32:14.512Z"},
		"target_leg": {"status": "completed", "sip_code": 200, "contact": "sip:+33698765432@trunk.example.net", "forwarded_to": null, "answered_by": null,
			"started_at": "2024-01-15T10:30:06.100Z", "ringing_at": "2024-01-15T10:30:07.000Z",
			"answered_at": "2024-01-15T10:30:12.250Z", "ended_at": "2024-01-15T10:32:14.512Z"},
		"events": [
			{"id": 1, "type": "call.created", "status": "initiating", "at": "2024-01-15T10:30:00.000Z"},
			{"id": 2, "type": "call.ringing_agent", "status": "ringing_agent", "at": "2024-01-15T10:30:00.180Z"},
			{"id": 3, "type": "call.agent_answered", "status": "dialing_target", "at": "2024-01-15T10:30:05.900Z"},
			{"id": 4, "type": "call.target_ringing", "status": "dialing_target", "at": "2024-01-15T10:30:07.000Z"},
			{"id": 5, "type": "call.answered", "status": "in_progress", "at": "2024-01-15T10:30:12.250Z"},
			{"id": 6, "type": "call.ended", "status": "completed", "at": "2024-01-15T10:32:14.512Z"}
		],
		"events_url": "/api/v2/calls/call_done/events",
		"tags": [],
		"recording": null
	}`)
}

func TestGetCallErrors(t *testing.T) {
	a := newTestAPI(t)
	c, events := endedCall()
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events

	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_nope", tokAll, ""), 404, "/api/v2/calls/call_nope", "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", tokOther, ""), 404, "/api/v2/calls/call_done", "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done?expand=legs", tokAll, ""), 400, "/api/v2/calls/call_done", `unknown query parameter "expand"`)

	a.calls.eventsErr = errors.New("events table locked")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", tokAll, ""), 500, "/api/v2/calls/call_done", "Internal error")

	a.calls.callErr = sipsim.Errorf(sipsim.EUNAVAILABLE, "Database is unavailable")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", tokAll, ""), 503, "/api/v2/calls/call_done", "Database is unavailable")
}

func TestCreateCallOptions(t *testing.T) {
	a := newTestAPI(t)
	rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll,
		`{"phone_id": 123, "target_number": "+33698765432", "agent_ring_timeout": 12, "auto_answer": true, "caller_id_name": "ACME: Jane Doe"}`)
	checkData(t, rec, http.StatusCreated, nil)
	want := sipsim.CreateCallRequest{AccountID: 1, PhoneID: 123, TargetNumber: "+33698765432",
		AgentRingTimeout: 12 * time.Second, AutoAnswer: true, CallerIDName: "ACME: Jane Doe"}
	if len(a.calls.requests) != 1 || a.calls.requests[0] != want {
		t.Fatalf("service got %+v, want %+v", a.calls.requests, want)
	}

	for body, msg := range map[string]string{
		`"agent_ring_timeout": 2`:                             "agent_ring_timeout must be between 5 and 300 seconds",
		`"agent_ring_timeout": 301`:                           "agent_ring_timeout must be between 5 and 300 seconds",
		`"agent_ring_timeout": "30"`:                          "agent_ring_timeout must be an integer",
		`"auto_answer": "yes"`:                                "auto_answer must be a boolean",
		`"caller_id_name": "say \"hi\""`:                      "caller_id_name must be at most 64 characters, without quotes, backslashes or line breaks",
		`"caller_id_name": "` + strings.Repeat("x", 65) + `"`: "caller_id_name must be at most 64 characters, without quotes, backslashes or line breaks",
	} {
		rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "+33698765432", `+body+`}`)
		checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/calls", msg)
	}
}
