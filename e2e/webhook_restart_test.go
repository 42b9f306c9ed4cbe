package e2e

import (
	"testing"
	"time"
)

// Deliveries come from a durable outbox: a restart, clean or a crash,
// between an event and its delivery loses nothing.

// A clean stop (SIGTERM) while every delivery of a finished call waits for
// an endpoint that is down; after the restart the endpoint comes up and
// gets them all. Streams resume from Last-Event-ID across the restart.
func TestWebhookDeliveriesSurviveStop(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: retryFlags},
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}},
	})
	rcv := newWebhookReceiver(t)
	hook, secret := r.api.createWebhook(rcv.URL())
	rcv.setSecret(secret)

	c := r.startCall(t)
	final := waitCallEnded(t, r.api, c.ID, 60*time.Second)
	assertCall(t, final, callWant{Status: "completed", Reason: "target_hangup", Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200})
	waitFailedAttempts(t, r.api, hook.ID, final, 1)

	r.srv.stop()
	r.srv.restart()

	assertResumeAfterThird(t, r.api, final)

	rcv.start()
	rcv.waitAccepted(final.eventIDs(), 60*time.Second)
	rcv.checkAll()
	assertOnlyEventsOf(t, rcv, final)
	for _, d := range waitDeliveriesSucceeded(t, r.api, hook.ID, final) {
		if d.Attempts < 2 || d.Attempts != len(d.AttemptLog) || d.AttemptLog[0].Error == nil {
			t.Errorf("%s: want the failed attempts from before the stop, then the success", d)
		}
	}
}

// A crash (kill -9) while the phone rings: what was stored before it (the
// call's first events) and the call.ended the next start writes for the
// call it closes all reach the endpoint once it is up.
func TestWebhookDeliveriesSurviveCrash(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: append([]string{"--agent-ring-timeout", "30s"}, retryFlags...)},
		Phone:   &phoneConfig{OOC: "phone_no_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	rcv := newWebhookReceiver(t)
	hook, secret := r.api.createWebhook(rcv.URL())
	rcv.setSecret(secret)

	c := r.startCall(t)
	before := waitCallStatus(t, r.api, c.ID, 15*time.Second, "ringing_agent")
	r.srv.kill()
	r.srv.restart()

	final := waitCallEnded(t, r.api, c.ID, 15*time.Second)
	if final.Status != "failed" || final.reason() != "server_restart" {
		t.Errorf("call after the crash: %s, want failed/server_restart", describeCall(final))
	}
	for i, e := range before.Events {
		if i >= len(final.Events) || final.Events[i] != e {
			t.Fatalf("timeline before the crash %v, after %v: stored events changed or were lost", before.Events, final.Events)
		}
	}

	rcv.start()
	rcv.waitAccepted(final.eventIDs(), 60*time.Second)
	rcv.checkAll()
	assertOnlyEventsOf(t, rcv, final)
	waitDeliveriesSucceeded(t, r.api, hook.ID, final)
}

// assertResumeAfterThird reconnects to the call's stream and the account's
// as a browser does after losing the connection, with the id of the third
// event: each must send exactly the events after it.
func assertResumeAfterThird(t *testing.T, a *apiClient, c callView) {
	t.Helper()
	if len(c.Events) < 4 {
		t.Fatalf("the call has %d events; resuming after the third needs more", len(c.Events))
	}
	third := itoa(c.Events[2].ID)
	rest := c
	rest.Events = c.Events[3:]

	byHeader := a.openSSE(c.EventsURL, third)
	assertEventsMatchTimeline(t, "GET "+c.EventsURL+" with Last-Event-ID "+third, byHeader.untilCallEnded(c.ID, 15*time.Second), rest)
	byHeader.waitEnded(10 * time.Second)

	byQuery := a.openSSE(c.EventsURL+"?last_event_id="+third, "")
	assertEventsMatchTimeline(t, "GET "+c.EventsURL+"?last_event_id="+third, byQuery.untilCallEnded(c.ID, 15*time.Second), rest)
	byQuery.waitEnded(10 * time.Second)

	// The account stream stays open: read until this call's end.
	account := a.openSSE("/api/v2/events", third)
	assertEventsMatchTimeline(t, "GET /api/v2/events with Last-Event-ID "+third, account.untilCallEnded(c.ID, 15*time.Second), rest)
}
