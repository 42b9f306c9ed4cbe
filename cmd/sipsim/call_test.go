package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// fakeAPI stands in for `sipsim serve`: it places call_t1 and streams the
// events it is given.
type fakeAPI struct {
	t      *testing.T
	events []wire.Event
	create func(w http.ResponseWriter, r *http.Request) // overrides the 201
	list   func(w http.ResponseWriter, r *http.Request)
	auth   string // Authorization header last seen
	body   map[string]any
}

func (f *fakeAPI) start() string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/calls", func(w http.ResponseWriter, r *http.Request) {
		f.auth = r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&f.body)
		if f.create != nil {
			f.create(w, r)
			return
		}
		writeEnvelope(w, http.StatusCreated, map[string]any{"id": "call_t1", "phone_id": 1, "target_number": "+33698765432",
			"status": "initiating", "events_url": "/api/v2/calls/call_t1/events"})
	})
	mux.HandleFunc("GET /api/v2/calls/call_t1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range f.events {
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n: keep-alive\n\n", ev.ID, ev.Type, b)
		}
	})
	mux.HandleFunc("GET /api/v2/calls", func(w http.ResponseWriter, r *http.Request) {
		f.auth = r.Header.Get("Authorization")
		f.list(w, r)
	})
	srv := httptest.NewServer(mux)
	f.t.Cleanup(srv.Close)
	return srv.URL
}

func writeEnvelope(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "request_id": "req_1", "timestamp": "2026-01-15T10:30:00Z", "data": data})
}

func writeErrorEnvelope(w http.ResponseWriter, status int, callID string, messages ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "errors": messages, "request_id": "req_err",
		"timestamp": "2026-01-15T10:30:00Z", "path": "/api/v2/calls", "call_id": callID})
}

// timeline builds the events of call_t1 ending in status/reason, one
// second apart from 10:30:00 UTC.
func timeline(status, reason string, talk float64, types ...string) []wire.Event {
	start := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	statuses := map[string]string{"call.created": "initiating", "call.ringing_agent": "ringing_agent",
		"call.agent_answered": "dialing_target", "call.target_ringing": "dialing_target", "call.answered": "in_progress"}
	var evs []wire.Event
	for i, typ := range types {
		c := wire.Call{ID: "call_t1", PhoneID: 1, TargetNumber: "+33698765432", Events: []wire.CallEvent{}}
		c.Status = statusOf(statuses[typ])
		if typ == "call.ended" {
			c.Status = statusOf(status)
			r := reasonOf(reason)
			c.EndedReason = &r
			c.TalkDurationSeconds = talk
			if talk > 0 {
				at := wire.Time(start)
				c.AnsweredAt = &at
			}
		}
		evs = append(evs, wire.Event{ID: int64(10 + i), Type: typ, CreatedAt: wire.Time(start.Add(time.Duration(i) * time.Second)), Data: wire.EventData{Call: c}})
	}
	return evs
}

var answered = []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.target_ringing", "call.answered", "call.ended"}

// runCLI runs sipsim with SIPSIM_URL and SIPSIM_TOKEN set.
func runCLI(url string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	env := map[string]string{"SIPSIM_URL": url, "SIPSIM_TOKEN": "sipsim_cli_token"}
	err = run(context.Background(), args, func(k string) string { return env[k] }, nil, &out, &errb)
	return out.String(), errb.String(), err
}

// localClock is how the CLI shows 10:30:0s UTC on this machine.
func localClock(s int) string {
	return time.Date(2026, 1, 15, 10, 30, s, 0, time.UTC).Local().Format("15:04:05.000")
}

func TestCallFollowPrintsEachEventThenTheOutcome(t *testing.T) {
	api := &fakeAPI{t: t, events: timeline("completed", "target_hangup", 12.34, answered...)}
	stdout, stderr, err := runCLI(api.start(), "call", "--phone", "1", "--to", "+33698765432", "--follow")
	if err != nil {
		t.Fatalf("err %v (exit %d), stderr:\n%s", err, exitCode(err), stderr)
	}
	want := []string{
		"call_t1 placed: ringing phone 1, then +33698765432",
		localClock(0) + "  initiating      call.created",
		localClock(1) + "  ringing_agent   call.ringing_agent",
		localClock(2) + "  dialing_target  call.agent_answered",
		localClock(3) + "  dialing_target  call.target_ringing",
		localClock(4) + "  in_progress     call.answered",
		localClock(5) + "  completed       call.ended",
		"call_t1 completed (target_hangup) talk 12.3s",
	}
	if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, strings.Join(want, "\n"))
	}
	if api.auth != "Bearer sipsim_cli_token" || api.body["phone_id"] != float64(1) || api.body["target_number"] != "+33698765432" {
		t.Fatalf("request: auth %q body %v", api.auth, api.body)
	}
}

func TestCallFollowExits1WhenTheCallDidNotComplete(t *testing.T) {
	api := &fakeAPI{t: t, events: timeline("busy", "target_busy", 0, "call.created", "call.ringing_agent", "call.agent_answered", "call.ended")}
	stdout, _, err := runCLI(api.start(), "call", "--phone", "1", "--to", "+33698765432", "--follow")
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want exit 1", err, exitCode(err))
	}
	if !strings.HasSuffix(stdout, "\ncall_t1 busy (target_busy)\n") {
		t.Fatalf("stdout does not end with the outcome:\n%s", stdout)
	}
}

func TestCallFollowJSONPrintsOneEventPerLine(t *testing.T) {
	api := &fakeAPI{t: t, events: timeline("completed", "agent_hangup", 3, answered...)}
	stdout, stderr, err := runCLI(api.start(), "call", "--phone", "1", "--to", "+33698765432", "--follow", "--json")
	if err != nil {
		t.Fatalf("err %v, stderr:\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(answered) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(answered), stdout)
	}
	for i, line := range lines {
		var ev wire.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not an event: %v: %s", i+1, err, line)
		}
		if ev.Type != answered[i] || ev.Data.Call.ID != "call_t1" {
			t.Fatalf("line %d: type %q call %q", i+1, ev.Type, ev.Data.Call.ID)
		}
	}
}

func TestCallWithoutFollowPrintsTheCall(t *testing.T) {
	api := &fakeAPI{t: t}
	url := api.start()
	stdout, _, err := runCLI(url, "call", "--phone", "1", "--to", "+33698765432")
	if err != nil || stdout != "call_t1 initiating: ringing phone 1, then +33698765432\n" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
	stdout, _, err = runCLI(url, "call", "--phone", "1", "--to", "+33698765432", "--json")
	var c wire.Call
	if err != nil || json.Unmarshal([]byte(stdout), &c) != nil || c.ID != "call_t1" || c.EventsURL != "/api/v2/calls/call_t1/events" ||
		strings.Count(stdout, "\n") != 1 {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
}

func TestCallPrintsTheAPIsMessages(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		want   string
	}{
		{"busy", func(w http.ResponseWriter, r *http.Request) {
			writeErrorEnvelope(w, 409, "call_other", "Phone is currently on another call")
		}, "sipsim: Phone is currently on another call (HTTP 409, call call_other, request req_err)\n"},
		{"invalid number", func(w http.ResponseWriter, r *http.Request) {
			writeErrorEnvelope(w, 400, "", "target_number is invalid", "Use E.164 format: did you mean +33698765432?")
		}, "sipsim: target_number is invalid (HTTP 400, request req_err)\n  Use E.164 format: did you mean +33698765432?\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{t: t, create: tt.answer}
			stdout, stderr, err := runCLI(api.start(), "call", "--phone", "1", "--to", "0698765432", "--follow")
			if err == nil || exitCode(err) != 1 || stdout != "" || stderr != tt.want {
				t.Fatalf("err %v (exit %d), stdout %q, stderr %q; want stderr %q", err, exitCode(err), stdout, stderr, tt.want)
			}
		})
	}
}

func TestCallWithNoServerSaysWhereItLooked(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, stderr, err := runCLI(url, "call", "--phone", "1", "--to", "+33698765432")
	if exitCode(err) != 1 || !strings.Contains(stderr, "is the API running at "+url+"?") {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
}

func TestAPICommandUsageErrorsExitWith2(t *testing.T) {
	api := &fakeAPI{t: t, list: func(w http.ResponseWriter, r *http.Request) { writeEnvelope(w, 200, []any{}) }}
	url := api.start()
	tests := [][]string{
		{"call"},
		{"call", "--phone", "1"},
		{"call", "--to", "+33698765432"},
		{"call", "--phone", "x", "--to", "+33698765432"},
		{"call", "--phone", "1", "--to", "+33698765432", "--ring"},
		{"call", "--phone", "1", "--to", "+33698765432", "extra"},
		{"calls"},
		{"calls", "show"},
		{"calls", "list", "--since", "yesterday"},
		{"calls", "list", "--limit", "0"},
		{"calls", "list", "--help"},
	}
	for _, args := range tests {
		_, _, err := runCLI(url, args...)
		if exitCode(err) != 2 {
			t.Errorf("sipsim %v: err %v (exit %d), want exit 2", args, err, exitCode(err))
		}
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"calls", "list"}, func(k string) string { return map[string]string{"SIPSIM_URL": url}[k] }, nil, &out, &errb)
	if exitCode(err) != 2 || !strings.Contains(errb.String(), "SIPSIM_TOKEN is not set") {
		t.Errorf("without SIPSIM_TOKEN: err %v (exit %d), stderr %q", err, exitCode(err), errb.String())
	}
}

func statusOf(s string) sipsim.CallStatus { return sipsim.CallStatus(s) }
func reasonOf(s string) sipsim.EndReason  { return sipsim.EndReason(s) }
func reasonPtr(s string) *sipsim.EndReason {
	r := sipsim.EndReason(s)
	return &r
}
