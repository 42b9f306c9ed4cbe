package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

func TestCancelCall(t *testing.T) {
	for _, route := range []struct{ method, suffix, body string }{
		{http.MethodDelete, "", ""},
		{http.MethodPost, "/hangup", ""},
		{http.MethodPost, "/hangup", "{}"},
		{http.MethodPost, "/hangup", " { } \n"},
	} {
		a := newTestAPI(t)
		a.calls.calls["call_ring"] = ringingCall("call_ring", testNow)
		path := "/api/v2/calls/call_ring" + route.suffix
		var first, second wire.Call
		checkData(t, a.do(t, route.method, path, scopeToken(sipsim.ScopeCallsWrite), route.body), http.StatusOK, &first)
		if first.Status != sipsim.CallCanceled || first.EndedReason == nil || *first.EndedReason != sipsim.ReasonCanceledViaAPI || first.EndedAt == nil {
			t.Errorf("%s %s: call = %+v, want canceled via the API", route.method, path, first)
		}
		if n := len(first.Events); n == 0 || first.Events[n-1].Type != sipsim.EventCallEnded {
			t.Errorf("%s %s: timeline = %+v, want it to end with call.ended", route.method, path, first.Events)
		}
		// Again: the call is over, it comes back unchanged.
		checkData(t, a.do(t, route.method, path, tokAll, route.body), http.StatusOK, &second)
		if !jsonSame(t, first, second) {
			t.Errorf("%s %s twice: %+v then %+v", route.method, path, first, second)
		}
		if want := []string{"call_ring", "call_ring"}; !slices.Equal(a.calls.cancels, want) {
			t.Errorf("service cancels = %v, want %v", a.calls.cancels, want)
		}
	}
}

func TestCancelFinishedCallReturnsItUnchanged(t *testing.T) {
	a := newTestAPI(t)
	c, events := endedCall()
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events
	var before, after wire.Call
	checkData(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", tokAll, ""), http.StatusOK, &before)
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_done", tokAll, ""), http.StatusOK, &after)
	if !jsonSame(t, before, after) || after.Status != sipsim.CallCompleted {
		t.Errorf("cancel of a completed call changed it: %+v", after)
	}
}

func TestCancelCallErrors(t *testing.T) {
	a := newTestAPI(t)
	a.calls.calls["call_ring"] = ringingCall("call_ring", testNow)

	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_nope", tokAll, ""), 404, "/api/v2/calls/call_nope", "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/calls/call_nope/hangup", tokAll, ""), 404, "/api/v2/calls/call_nope/hangup", "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_ring", tokOther, ""), 404, "/api/v2/calls/call_ring", "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_ring?force=1", tokAll, ""), 400, "/api/v2/calls/call_ring", `unknown query parameter "force"`)
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/calls/call_ring/hangup", tokAll, `{"reason": "bye"}`), 400, "/api/v2/calls/call_ring/hangup", `unknown field "reason"`)
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/calls/call_ring/hangup", tokAll, `[]`), 400, "/api/v2/calls/call_ring/hangup", "request body must be a JSON object")
	if len(a.calls.cancels) != 3 { // the three 404s
		t.Errorf("service cancels = %v: bad requests reached it", a.calls.cancels)
	}

	a.calls.cancel = func(string) (*sipsim.Call, error) {
		return nil, sipsim.Errorf(sipsim.EUNAVAILABLE, "The server is shutting down")
	}
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_ring", tokAll, ""), 503, "/api/v2/calls/call_ring", "The server is shutting down")
	a.calls.cancel = nil
	a.calls.eventsErr = sipsim.Errorf(sipsim.EINTERNAL, "events table locked")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_ring", tokAll, ""), 500, "/api/v2/calls/call_ring", "Internal error")
}
