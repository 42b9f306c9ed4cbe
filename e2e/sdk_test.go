package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim/client"
)

// The Go SDK (package client) and the `sipsim call` / `sipsim calls list`
// commands against the real server, phone and carrier. The SDK is the one
// server package these tests import: it is what integrators run, so it is
// tested the way they use it.

// sdkScene is a server with Alice's phone created through the SDK and
// registered by a SIPp phone, and optionally a SIPp carrier.
type sdkScene struct {
	srv     *server
	token   string
	api     *client.Client
	phone   *client.Phone
	sipp    *sippPhone
	carrier *sippProc
}

func newSDKScene(t *testing.T, phone phoneConfig, carrier *carrierConfig, flags ...string) *sdkScene {
	t.Helper()
	s := &sdkScene{}
	trunkPort := sipPeerPort(t)
	if carrier != nil {
		cc := *carrier
		cc.Caller, cc.Target = phoneNumber, targetNumber
		s.carrier = startSIPpCarrier(t, trunkPort, cc)
	}
	s.srv = startServer(t, serverConfig{TrunkPort: trunkPort, Flags: flags})
	s.token = s.srv.createToken(allScopes)
	s.api = client.New(s.srv.URL(""), s.token, client.WithUserAgent("sipsim-e2e"))

	ctx := t.Context()
	p, err := s.api.CreatePhone(ctx, client.PhoneParams{
		Name: new("Alice"), InternalNumber: new(phoneUser), Number: new(phoneNumber), SIPPassword: new(phonePassword),
	})
	if err != nil {
		t.Fatalf("CreatePhone: %v", err)
	}
	if p.ID == 0 || p.Status != "active" || p.SIPUsername != "101" {
		t.Fatalf("CreatePhone = id %d status %q sip_username %q; want an active phone with user 101", p.ID, p.Status, p.SIPUsername)
	}
	s.phone = p
	phone.User, phone.Password = phoneUser, phonePassword
	s.sipp = startSIPpPhone(t, s.srv, phone)
	waitFor(t, 15*time.Second, "the phone to register", func() (bool, string) {
		p, err := s.api.GetPhone(ctx, s.phone.ID)
		if err != nil {
			return false, err.Error()
		}
		return p.Registration.Status == "registered", p.Registration.Status
	})
	return s
}

// followAll collects a call's events until call.ended.
func followAll(t *testing.T, api *client.Client, callID string, after int64) []*client.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var evs []*client.Event
	for ev, err := range api.FollowCall(ctx, callID, after) {
		if err != nil {
			t.Fatalf("FollowCall(%s) after %d events %v: %v", callID, len(evs), sdkTypes(evs), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func sdkTypes(evs []*client.Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func sdkStatuses(evs []*client.Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, string(ev.Data.Call.Status))
	}
	return out
}

func sdkIDs(evs []*client.Event) []int64 {
	out := make([]int64, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// sdkReceiver is a webhook endpoint written the way the SDK documents:
// every delivery checked with client.VerifyWebhook, duplicates dropped by
// event id.
type sdkReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	events   map[int64]*client.Event
	problems []string
}

func newSDKReceiver(t *testing.T) *sdkReceiver {
	r := &sdkReceiver{events: map[int64]*client.Event{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		ev, err := client.VerifyWebhook(r.secret, req, 5*time.Minute)
		if err != nil {
			r.problems = append(r.problems, err.Error())
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		if id := req.Header.Get("SIPSIM-Event-Id"); id != strconv.FormatInt(ev.ID, 10) {
			r.problems = append(r.problems, "SIPSIM-Event-Id "+id+" for event "+strconv.FormatInt(ev.ID, 10))
		}
		r.events[ev.ID] = ev
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// received returns the distinct events received, by id.
func (r *sdkReceiver) received() ([]*client.Event, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs []*client.Event
	for _, ev := range r.events {
		evs = append(evs, ev)
	}
	slices.SortFunc(evs, func(a, b *client.Event) int { return int(a.ID - b.ID) })
	return evs, slices.Clone(r.problems)
}

func TestSDKPlacesFollowsAndFindsACall(t *testing.T) {
	t.Parallel()
	s := newSDKScene(t, phoneConfig{OOC: "phone_answer.xml"},
		&carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "1000"}})
	ctx := t.Context()
	start := time.Now().Add(-time.Minute)

	recv := newSDKReceiver(t)
	hook, err := s.api.CreateWebhook(ctx, client.WebhookParams{URL: recv.srv.URL + "/hook", Description: "sdk e2e"})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	if !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("CreateWebhook secret %q, want whsec_…", hook.Secret)
	}
	recv.mu.Lock()
	recv.secret = hook.Secret
	recv.mu.Unlock()

	call, err := s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: targetNumber, IdempotencyKey: "sdk-click-1"})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	if !strings.HasPrefix(call.ID, "call_") || call.Status != "initiating" || call.EventsURL != "/api/v2/calls/"+call.ID+"/events" {
		t.Fatalf("CreateCall = id %q status %q events_url %q", call.ID, call.Status, call.EventsURL)
	}

	evs := followAll(t, s.api, call.ID, 0)
	if got := sdkTypes(evs); !slices.Equal(got, answeredEvents) {
		t.Fatalf("FollowCall events %v, want %v", got, answeredEvents)
	}
	if got := sdkStatuses(evs); !slices.Equal(got, answeredStatuses) {
		t.Errorf("FollowCall snapshot statuses %v, want %v", got, answeredStatuses)
	}
	final := evs[len(evs)-1].Data.Call
	if final.ID != call.ID || final.EndedReason == nil || *final.EndedReason != "target_hangup" || final.TalkDurationSeconds <= 0 {
		t.Errorf("call.ended snapshot: id %q reason %v talk %v", final.ID, final.EndedReason, final.TalkDurationSeconds)
	}

	// The same click again replays the first answer: no second call.
	again, err := s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: targetNumber, IdempotencyKey: "sdk-click-1"})
	if err != nil || again.ID != call.ID {
		t.Errorf("CreateCall with the same Idempotency-Key = %v, %v; want call %s replayed", again, err, call.ID)
	}
	assertPhoneSawOneInvite(t, s.sipp)

	got, err := s.api.GetCall(ctx, call.ID)
	if err != nil {
		t.Fatalf("GetCall: %v", err)
	}
	var timeline []int64
	for _, e := range got.Events {
		timeline = append(timeline, e.ID)
	}
	if !slices.Equal(timeline, sdkIDs(evs)) || got.Status != "completed" {
		t.Errorf("GetCall: status %q timeline ids %v; streamed ids %v", got.Status, timeline, sdkIDs(evs))
	}

	// History, with filters that match and filters that do not.
	tag, err := s.api.CreateTag(ctx, client.TagParams{Name: "lead"})
	if err != nil {
		t.Fatalf("CreateTag: %v", err)
	}
	if tagged, err := s.api.TagCallByName(ctx, call.ID, "lead"); err != nil || len(tagged.Tags) != 1 || tagged.Tags[0].ID != tag.ID {
		t.Fatalf("TagCallByName = %+v, %v", tagged, err)
	}
	lists := []struct {
		name string
		p    client.ListCallsParams
		want int
	}{
		{"completed, from the phone, to the target", client.ListCallsParams{Statuses: []client.CallStatus{"completed", "busy"},
			PhoneID: s.phone.ID, TargetNumber: targetNumber, CreatedAfter: start}, 1},
		{"tagged lead", client.ListCallsParams{Tag: "lead"}, 1},
		{"ended by the target", client.ListCallsParams{EndedReasons: []client.EndReason{"target_hangup"}}, 1},
		{"busy only", client.ListCallsParams{Statuses: []client.CallStatus{"busy"}}, 0},
		{"created before the test", client.ListCallsParams{CreatedBefore: start}, 0},
	}
	for _, l := range lists {
		page, err := s.api.ListCalls(ctx, l.p)
		if err != nil {
			t.Errorf("ListCalls %s: %v", l.name, err)
			continue
		}
		if len(page.Calls) != l.want || (l.want == 1 && page.Calls[0].ID != call.ID) || page.NextCursor != "" {
			t.Errorf("ListCalls %s: %d calls %v, next %q; want %d", l.name, len(page.Calls), page.Calls, page.NextCursor, l.want)
		}
	}
	if _, err := s.api.ListCalls(ctx, client.ListCallsParams{Cursor: "not-a-cursor"}); !client.IsInvalid(err) {
		t.Errorf("ListCalls with a bad cursor: %v, want a 400", err)
	}

	// The webhook saw the same events, signed.
	waitFor(t, 30*time.Second, "the webhook to receive every event", func() (bool, string) {
		got, problems := recv.received()
		return len(got) >= len(evs) || len(problems) > 0, strings.Join(sdkTypes(got), ",")
	})
	hooked, problems := recv.received()
	if len(problems) > 0 {
		t.Fatalf("webhook receiver refused deliveries: %v", problems)
	}
	if !slices.Equal(sdkIDs(hooked), sdkIDs(evs)) || !slices.Equal(sdkTypes(hooked), answeredEvents) {
		t.Errorf("webhook events %v %v, want the streamed %v %v", sdkIDs(hooked), sdkTypes(hooked), sdkIDs(evs), answeredEvents)
	}
	waitFor(t, 10*time.Second, "every delivery logged as succeeded", func() (bool, string) {
		ds, err := s.api.WebhookDeliveries(ctx, hook.ID, client.DeliveriesParams{Limit: 50})
		if err != nil {
			return false, err.Error()
		}
		var states []string
		ok := len(ds) == len(evs)
		for _, d := range ds {
			states = append(states, d.EventType+"="+d.Status)
			ok = ok && d.Status == "succeeded" && len(d.AttemptLog) >= 1
		}
		return ok, strings.Join(states, ",")
	})
}

func TestSDKBusyPhoneAndHangUp(t *testing.T) {
	t.Parallel()
	s := newSDKScene(t, phoneConfig{OOC: "phone_no_answer.xml"}, nil, "--agent-ring-timeout", "60s")
	ctx := t.Context()

	if _, err := s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: "0698765432"}); !client.IsInvalidNumber(err) {
		t.Errorf("CreateCall to a national number: %v, want IsInvalidNumber", err)
	}
	if _, err := s.api.GetCall(ctx, "call_doesnotexist"); !client.IsNotFound(err) {
		t.Errorf("GetCall of an unknown call: %v, want IsNotFound", err)
	}
	if _, err := client.New(s.srv.URL(""), "sipsim_wrong").ListPhones(ctx, client.ListPhonesParams{}); !client.IsUnauthorized(err) {
		t.Errorf("ListPhones with a wrong token: %v, want IsUnauthorized", err)
	}

	first, err := s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: targetNumber})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	// A double click: the call already placed, not a second one.
	_, err = s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: targetNumber})
	if e, ok := errors.AsType[*client.Error](err); !client.IsDuplicateCall(err) || !ok || e.CallID != first.ID {
		t.Errorf("second click: %v, want IsDuplicateCall naming %s", err, first.ID)
	}

	// Wait until the phone rings.
	var ringing int64
	for ev, err := range s.api.FollowCall(ctx, first.ID, 0) {
		if err != nil {
			t.Fatalf("FollowCall: %v", err)
		}
		if ev.Type == "call.ringing_agent" {
			ringing = ev.ID
			break
		}
	}

	// Another number while the phone rings: busy, with the call it is on;
	// retried briefly, still busy.
	other := "+33698765433"
	_, err = s.api.CreateCall(ctx, client.CreateCallParams{PhoneID: s.phone.ID, TargetNumber: other, IdempotencyKey: "sdk-busy"},
		client.RetryOnBusy(client.Backoff{Initial: 100 * time.Millisecond, Max: 200 * time.Millisecond, Attempts: 2}))
	if e, ok := errors.AsType[*client.Error](err); !client.IsBusy(err) || !ok || e.CallID != first.ID {
		t.Errorf("call while the phone rings: %v, want IsBusy naming %s", err, first.ID)
	}

	hung, err := s.api.HangUp(ctx, first.ID)
	if err != nil {
		t.Fatalf("HangUp: %v", err)
	}
	rest := followAll(t, s.api, first.ID, ringing)
	if got := sdkTypes(rest); !slices.Equal(got, []string{"call.ended"}) {
		t.Fatalf("events after call.ringing_agent %v, want [call.ended]", got)
	}
	final := rest[0].Data.Call
	if final.Status != "canceled" || final.EndedReason == nil || *final.EndedReason != "canceled_via_api" {
		t.Errorf("after HangUp: status %q reason %v, want canceled (canceled_via_api)", final.Status, final.EndedReason)
	}
	if hung.Status != "canceled" {
		t.Errorf("HangUp returned the call %q, want it canceled", hung.Status)
	}
	waitFor(t, 10*time.Second, "the phone to get a CANCEL", func() (bool, string) {
		return len(s.sipp.received("CANCEL")) == 1, describeRequests(s.sipp.sippProc)
	})
	// Hanging up again changes nothing.
	if again, err := s.api.HangUp(ctx, first.ID); err != nil || again.Status != "canceled" {
		t.Errorf("second HangUp = %v, %v; want the canceled call", again, err)
	}
}

// sipsimCLI runs the sipsim binary against the scene's server.
func (s *sdkScene) sipsimCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipsimBin, args...)
	cmd.Env = append(serverEnv(), "SIPSIM_URL="+s.srv.URL(""), "SIPSIM_TOKEN="+s.token)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := errors.AsType[*exec.ExitError](err); err != nil && !ok {
		t.Fatalf("sipsim %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestCLICallFollow(t *testing.T) {
	t.Parallel()
	s := newSDKScene(t, phoneConfig{OOC: "phone_answer.xml"},
		&carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "1000"}})
	phoneID := strconv.FormatInt(s.phone.ID, 10)

	stdout, stderr, code := s.sipsimCLI(t, "call", "--phone", phoneID, "--to", targetNumber, "--follow")
	if code != 0 {
		t.Fatalf("sipsim call --follow exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(answeredEvents)+2 {
		t.Fatalf("sipsim call --follow printed:\n%s\nwant a header, %d events and a summary", stdout, len(answeredEvents))
	}
	header := regexp.MustCompile(`^(call_\w+) placed: ringing phone ` + phoneID + `, then \` + targetNumber + `$`).FindStringSubmatch(lines[0])
	if header == nil {
		t.Fatalf("first line %q", lines[0])
	}
	callID := header[1]
	eventLine := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}  (\S+) +(\S+)$`)
	for i, line := range lines[1 : len(lines)-1] {
		m := eventLine.FindStringSubmatch(line)
		if m == nil || m[1] != answeredStatuses[i] || m[2] != answeredEvents[i] {
			t.Errorf("event line %d %q, want status %s and event %s", i+1, line, answeredStatuses[i], answeredEvents[i])
		}
	}
	summary := regexp.MustCompile(`^` + callID + ` completed \(target_hangup\) talk \d+\.\ds$`)
	if last := lines[len(lines)-1]; !summary.MatchString(last) {
		t.Errorf("summary %q, want %q", last, summary)
	}

	stdout, stderr, code = s.sipsimCLI(t, "calls", "list", "--phone", phoneID, "--status", "completed", "--json")
	if code != 0 {
		t.Fatalf("sipsim calls list exit %d: %s", code, stderr)
	}
	var listed client.Call
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 1 {
		t.Fatalf("sipsim calls list --json printed %d lines:\n%s", len(lines), stdout)
	}
	mustUnmarshal(t, []byte(stdout), &listed)
	if listed.ID != callID || listed.Status != "completed" {
		t.Errorf("listed call %s %s, want %s completed", listed.ID, listed.Status, callID)
	}

	// A refused call prints the API's messages and exits 1.
	_, stderr, code = s.sipsimCLI(t, "call", "--phone", phoneID, "--to", "0698765432")
	if code != 1 || !strings.Contains(stderr, "target_number is invalid (HTTP 400") {
		t.Errorf("sipsim call to a national number: exit %d, stderr %q", code, stderr)
	}
}
