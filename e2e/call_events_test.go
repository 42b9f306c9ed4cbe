package e2e

import (
	"net/http"
	"testing"
	"time"
)

// An integrator learns everything about a call as it happens, from three
// places that must agree with the call's timeline: the call's own event
// stream (events_url, opened right after the POST), the account's stream,
// and a webhook endpoint. The call is answered, busy, unanswered,
// cancelled while the target rings, or hung up through the API.

// eventsCase is one way a call goes.
type eventsCase struct {
	name    string
	flags   []string
	phone   string // the phone's out-of-call scenario
	carrier carrierConfig
	// act is what the user does during the call (nil: the peers end it).
	act  func(t *testing.T, r *rig, c callView)
	want callWant
	// sip checks what the peers saw once the call is over.
	sip func(t *testing.T, r *rig)
}

func TestEventsReachStreamsAndWebhooks(t *testing.T) {
	t.Parallel()
	targetLegsOnly := []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.ended"}
	ringing := []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.target_ringing", "call.ended"}
	cases := []eventsCase{{
		name:    "answered",
		phone:   "phone_answer.xml",
		carrier: carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "1000"}},
		want: callWant{Status: "completed", Reason: "target_hangup", Events: answeredEvents, Statuses: answeredStatuses,
			AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200},
		sip: func(t *testing.T, r *rig) { waitPhoneHungUp(t, r.sipp) },
	}, {
		name:    "busy",
		phone:   "phone_answer.xml",
		carrier: carrierConfig{Scenario: "carrier_reject.xml", Code: 486, Reason: "Busy Here"},
		want: callWant{Status: "busy", Reason: "target_busy", Events: targetLegsOnly,
			Statuses: []string{"initiating", "ringing_agent", "dialing_target", "busy"},
			AgentLeg: "completed", AgentCode: 200, TargetLeg: "busy", TargetCode: 486},
		sip: func(t *testing.T, r *rig) { waitPhoneHungUp(t, r.sipp) },
	}, {
		name:    "no answer",
		flags:   []string{"--target-ring-timeout", "2s"},
		phone:   "phone_answer.xml",
		carrier: carrierConfig{Scenario: "carrier_no_answer.xml"},
		want: callWant{Status: "no_answer", Reason: "target_no_answer", Events: ringing,
			Statuses: []string{"initiating", "ringing_agent", "dialing_target", "dialing_target", "no_answer"},
			AgentLeg: "completed", AgentCode: 200, TargetLeg: "no_answer", TargetCode: 487},
		sip: func(t *testing.T, r *rig) {
			waitCarrierGot(t, r.carrier, "CANCEL")
			waitPhoneHungUp(t, r.sipp)
		},
	}, {
		name:    "canceled while the target rings",
		flags:   []string{"--target-ring-timeout", "30s"},
		phone:   "phone_answer.xml",
		carrier: carrierConfig{Scenario: "carrier_no_answer.xml"},
		act: func(t *testing.T, r *rig, c callView) {
			waitTimeline(t, r.api, c.ID, "call.target_ringing")
			hangUp(t, r.api, http.MethodDelete, "/api/v2/calls/"+c.ID, "canceled")
		},
		want: callWant{Status: "canceled", Reason: "canceled_via_api", Events: ringing,
			Statuses: []string{"initiating", "ringing_agent", "dialing_target", "dialing_target", "canceled"},
			AgentLeg: "completed", AgentCode: 200, TargetLeg: "canceled", TargetCode: 487},
		sip: func(t *testing.T, r *rig) {
			waitCarrierGot(t, r.carrier, "CANCEL")
			waitPhoneHungUp(t, r.sipp)
		},
	}, {
		name:    "hung up through the API while in progress",
		phone:   "phone_answer.xml",
		carrier: carrierConfig{Scenario: "carrier_answer.xml"},
		act: func(t *testing.T, r *rig, c callView) {
			waitCallStatus(t, r.api, c.ID, 30*time.Second, "in_progress")
			hangUp(t, r.api, http.MethodPost, "/api/v2/calls/"+c.ID+"/hangup", "completed")
		},
		want: callWant{Status: "completed", Reason: "canceled_via_api", Events: answeredEvents, Statuses: answeredStatuses,
			AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200},
		sip: func(t *testing.T, r *rig) {
			waitCarrierGot(t, r.carrier, "BYE")
			waitPhoneHungUp(t, r.sipp)
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runEventsCase(t, tc)
		})
	}
}

func runEventsCase(t *testing.T, tc eventsCase) {
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: tc.flags},
		Phone:   &phoneConfig{OOC: tc.phone},
		Carrier: &tc.carrier,
	})
	// One endpoint takes every event, another only call.ended.
	all := newWebhookReceiver(t)
	all.start()
	allHook, secret := r.api.createWebhook(all.URL())
	all.setSecret(secret)
	endedOnly := newWebhookReceiver(t)
	endedOnly.start()
	_, secret = r.api.createWebhook(endedOnly.URL(), "call.ended")
	endedOnly.setSecret(secret)

	account := r.api.openSSE("/api/v2/events", "")
	c := r.startCall(t)
	if want := "/api/v2/calls/" + c.ID + "/events"; c.EventsURL != want {
		t.Fatalf("events_url = %q, want %q", c.EventsURL, want)
	}
	if c.Tags == nil {
		t.Errorf("tags of a new call must be [], got null or nothing")
	}
	stream := r.api.openSSE(c.EventsURL, "")
	if tc.act != nil {
		tc.act(t, r, c)
	}

	streamed := stream.untilCallEnded(c.ID, 60*time.Second)
	stream.waitEnded(10 * time.Second)
	final := r.api.call(c.ID)
	assertCall(t, final, tc.want)
	assertEventsMatchTimeline(t, "GET "+c.EventsURL, streamed, final)
	assertEventsMatchTimeline(t, "GET /api/v2/events", account.untilCallEnded(c.ID, 30*time.Second), final)

	all.waitAccepted(final.eventIDs(), 30*time.Second)
	all.checkAll()
	var received []eventJSON
	for _, d := range all.deliveries() {
		received = append(received, d.Event)
	}
	assertEventsMatchTimeline(t, "webhook (all events)", received, final)

	ended := final.Events[len(final.Events)-1]
	endedOnly.waitAccepted([]int64{ended.ID}, 30*time.Second)
	endedOnly.checkAll()
	if got := endedOnly.deliveries(); len(got) != 1 || got[0].Event.Type != "call.ended" {
		t.Errorf("webhook for call.ended only got %s", describeEvents(endedOnly.accepted()))
	}

	assertDeliveredOnce(t, r.api, allHook.ID, final)
	if tc.sip != nil {
		tc.sip(t, r)
	}
}

// assertDeliveredOnce checks the webhook's delivery log for a receiver
// that accepted everything at once: one succeeded delivery per event of
// the call, one attempt each, answered 200.
func assertDeliveredOnce(t *testing.T, a *apiClient, webhookID int64, c callView) {
	t.Helper()
	var ds []deliveryView
	waitFor(t, 10*time.Second, "every delivery to be logged as succeeded", func() (bool, string) {
		ds = a.deliveries(webhookID)
		for _, d := range ds {
			if d.Status != "succeeded" {
				return false, d.String()
			}
		}
		return len(ds) == len(c.Events), describeDeliveries(ds)
	})
	// Newest first: the log read backwards is the timeline.
	for i, d := range ds {
		want := c.Events[len(c.Events)-1-i]
		if d.EventID != want.ID || d.EventType != want.Type || d.Attempts != 1 || len(d.AttemptLog) != 1 || d.NextAttemptAt != nil {
			t.Errorf("delivery log entry %d: %s; want event %d %s, 1 attempt, no next attempt", i, d, want.ID, want.Type)
			continue
		}
		if at := d.AttemptLog[0]; at.StatusCode == nil || *at.StatusCode != http.StatusOK || at.Error != nil || at.Attempt != 1 {
			t.Errorf("delivery %d attempt: %s; want attempt 1 answered 200 without error", d.ID, d)
		}
	}
}

func describeDeliveries(ds []deliveryView) string {
	s := ""
	for _, d := range ds {
		s += "\n  " + d.String()
	}
	return s
}

// hangUp ends a call through the API and checks the answer: 200 with the
// call already in its final status, canceled_via_api; asking again
// changes nothing.
func hangUp(t *testing.T, a *apiClient, method, path, wantStatus string) {
	t.Helper()
	var c callView
	a.must(http.StatusOK, method, path, nil, &c)
	if c.Status != wantStatus || c.reason() != "canceled_via_api" {
		t.Errorf("%s %s answered %s, want %s/canceled_via_api", method, path, describeCall(c), wantStatus)
	}
	var again callView
	a.must(http.StatusOK, method, path, nil, &again)
	if !sameOutcome(again, c) {
		t.Errorf("%s %s a second time answered %s, want the call unchanged: %s", method, path, describeCall(again), describeCall(c))
	}
}

// waitTimeline waits until the call's timeline has an event of type typ.
func waitTimeline(t *testing.T, a *apiClient, id, typ string) {
	t.Helper()
	waitFor(t, 30*time.Second, "event "+typ+" of call "+id, func() (bool, string) {
		c := a.call(id)
		for _, e := range c.Events {
			if e.Type == typ {
				return true, ""
			}
		}
		return false, describeCall(c)
	})
}

// waitCarrierGot waits until the carrier has received one request of the
// method and its scenario ended well.
func waitCarrierGot(t *testing.T, carrier *sippProc, method string) {
	t.Helper()
	if code := carrier.wait(30 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0", code)
	}
	if n := len(carrier.received(method)); n != 1 {
		t.Errorf("carrier got %d %s, want 1; %s", n, method, describeRequests(carrier))
	}
}
