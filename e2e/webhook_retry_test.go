package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// retryFlags make the server retry webhook deliveries within seconds
// instead of minutes: 200 ms, 400 ms, 800 ms...
var retryFlags = []string{"--webhook-retry-base", "200ms"}

// A customer's endpoint that is down while a call happens gets every event
// once it is back, signed over the exact body; a delivery it refuses is
// sent again byte for byte; the delivery log tells the whole story.
func TestWebhookEndpointDownThenUp(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server: serverConfig{Flags: retryFlags},
		Phone:  &phoneConfig{OOC: "phone_busy.xml"},
	})
	rcv := newWebhookReceiver(t)
	rcv.failFirst = true // once up, it answers 503 to the first try of each event
	hook, secret := r.api.createWebhook(rcv.URL())
	rcv.setSecret(secret)

	c := r.startCall(t)
	final := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	if final.Status != "busy" || final.reason() != "agent_busy" {
		t.Fatalf("call ended %s, want busy/agent_busy", describeCall(final))
	}
	waitFailedAttempts(t, r.api, hook.ID, final, 2)

	rcv.start()
	rcv.waitAccepted(final.eventIDs(), 60*time.Second)
	rcv.checkAll()
	assertOnlyEventsOf(t, rcv, final)
	for _, id := range final.eventIDs() {
		var answers []int
		for _, d := range rcv.deliveries() {
			if d.Event.ID == id {
				answers = append(answers, d.Answered)
			}
		}
		if len(answers) < 2 || answers[0] != http.StatusServiceUnavailable || answers[len(answers)-1] != http.StatusOK {
			t.Errorf("event %d: the receiver answered %v; it should have been sent again after the 503", id, answers)
		}
	}

	ds := waitDeliveriesSucceeded(t, r.api, hook.ID, final)
	for _, d := range ds {
		log := d.AttemptLog
		n := len(log)
		if n < 4 || d.Attempts != n {
			t.Errorf("%s: want attempts = the log's length, at least 2 refused, the 503, the 200", d)
			continue
		}
		for i, at := range log {
			if at.Attempt != i+1 {
				t.Errorf("%s: attempt %d is numbered %d", d, i+1, at.Attempt)
			}
		}
		for _, at := range log[:n-2] {
			if at.StatusCode != nil || at.Error == nil || *at.Error == "" {
				t.Errorf("%s: attempt %d while nothing listened should have no status code and an error", d, at.Attempt)
			}
		}
		if at := log[n-2]; at.StatusCode == nil || *at.StatusCode != http.StatusServiceUnavailable || !strings.Contains(at.ResponseBody, "e2e receiver: 503") {
			t.Errorf("%s: attempt %d should show the receiver's 503 and its body, has body %q", d, at.Attempt, at.ResponseBody)
		}
		if at := log[n-1]; at.StatusCode == nil || *at.StatusCode != http.StatusOK || at.Error != nil {
			t.Errorf("%s: the last attempt should be the 200", d)
		}
	}
}

// waitFailedAttempts waits until each event of the call has a pending
// delivery that failed at least n times, with its next try planned.
func waitFailedAttempts(t *testing.T, a *apiClient, webhookID int64, c callView, n int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("each delivery to fail %d times", n), func() (bool, string) {
		ds := a.deliveries(webhookID)
		byEvent := map[int64]deliveryView{}
		for _, d := range ds {
			byEvent[d.EventID] = d
		}
		for _, id := range c.eventIDs() {
			d, ok := byEvent[id]
			if !ok || d.Status != "pending" || d.Attempts < n || d.NextAttemptAt == nil {
				return false, describeDeliveries(ds)
			}
		}
		return true, ""
	})
}

// waitDeliveriesSucceeded waits until the webhook's log holds exactly one
// delivery per event of the call, all succeeded, and returns it.
func waitDeliveriesSucceeded(t *testing.T, a *apiClient, webhookID int64, c callView) []deliveryView {
	t.Helper()
	var ds []deliveryView
	waitFor(t, 15*time.Second, "every delivery to be logged as succeeded", func() (bool, string) {
		ds = a.deliveries(webhookID)
		var ids []int64
		for _, d := range ds {
			if d.Status != "succeeded" || d.NextAttemptAt != nil {
				return false, describeDeliveries(ds)
			}
			ids = append(ids, d.EventID)
		}
		slices.Sort(ids)
		return slices.Equal(ids, c.eventIDs()), describeDeliveries(ds)
	})
	return ds
}

// assertOnlyEventsOf checks that the receiver got nothing but events of
// the call: every POST, retries included, is one of its timeline.
func assertOnlyEventsOf(t *testing.T, rcv *webhookReceiver, c callView) {
	t.Helper()
	for _, d := range rcv.deliveries() {
		if !slices.Contains(c.eventIDs(), d.Event.ID) {
			t.Errorf("the receiver got event %d %s, not one of call %s's %v", d.Event.ID, d.Event.Type, c.ID, c.eventIDs())
		}
	}
}
