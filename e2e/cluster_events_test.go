package e2e

import (
	"strings"
	"testing"
	"time"
)

// Two nodes share one PostgreSQL database. A call runs on node B (its
// phone registered there, created through B's API) while an integrator
// watches node A: A's event streams deliver the call's events as they
// happen, in order, each once, and a webhook registered once gets each
// event once although both nodes run a dispatcher.
//
// Streams also poll the store at each keep-alive (15 s, which no flag
// changes), so events arriving is not enough to show that A heard of
// them through the database's notifications: node A logs each wake-up it
// got that way (at debug level), and the test checks that it got one for
// every event of the call.
func TestClusterEventsReachEveryNode(t *testing.T) {
	t.Parallel()
	shared := newPostgresSchema(t)
	trunkPort := sipPeerPort(t)
	startSIPpCarrier(t, trunkPort, carrierConfig{Scenario: "carrier_answer_hangup.xml",
		Caller: phoneNumber, Target: targetNumber, Args: []string{"-d", "1000"}})
	nodeA := startServer(t, serverConfig{DBURL: shared, Flags: []string{"--log-level", "debug"}})
	nodeB := startServer(t, serverConfig{DBURL: shared, TrunkPort: trunkPort})
	token := nodeA.createToken(allScopes)
	apiA, apiB := newAPIClient(t, nodeA, token), newAPIClient(t, nodeB, token)

	phone := apiB.createPhone(phoneInput{Name: "Alice", InternalNumber: phoneUser, Number: phoneNumber, SIPPassword: phonePassword})
	startSIPpPhone(t, nodeB, phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_answer.xml"})
	waitRegistration(t, apiB, phone.ID, "registered", 15*time.Second)

	receiver := newWebhookReceiver(t)
	receiver.start()
	hook, secret := apiA.createWebhook(receiver.URL())
	receiver.setSecret(secret)

	account := apiA.openSSE("/api/v2/events", "")
	c := apiB.createCall(phone.ID, targetNumber)
	perCall := apiA.openSSE(c.EventsURL, "")

	streamed, lags := followCall(t, account, c.ID)
	final := apiB.call(c.ID)
	assertCall(t, final, callWant{
		Status: "completed", Reason: "target_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	assertEventsMatchTimeline(t, "node A: GET /api/v2/events", streamed, final)
	assertEventsMatchTimeline(t, "node A: GET "+c.EventsURL, perCall.untilCallEnded(c.ID, 30*time.Second), final)
	perCall.waitEnded(10 * time.Second)
	t.Logf("node A's account stream got each event this long after node B stored it: %v", lags)

	relayed := 0
	for line := range strings.Lines(nodeA.logs.String()) {
		if strings.Contains(line, `msg="event stored, waking this node's streams"`) && strings.Contains(line, "call_id="+c.ID) {
			relayed++
		}
	}
	if relayed < len(final.Events) {
		t.Errorf("node A logged %d wake-ups from the database for call %s, want one per event (%d): its streams were not woken by the relay",
			relayed, c.ID, len(final.Events))
	}

	receiver.waitAccepted(final.eventIDs(), 30*time.Second)
	assertDeliveredOnce(t, apiA, hook.ID, final)
	receiver.checkAll()
	posts := map[string]int{}
	for _, d := range receiver.deliveries() {
		posts[d.Header.Get("SIPSIM-Event-Id")]++
	}
	for _, e := range final.Events {
		if n := posts[itoa(e.ID)]; n != 1 {
			t.Errorf("the webhook got event %d (%s) %d times, want once", e.ID, e.Type, n)
		}
	}
	if got := len(receiver.deliveries()); got != len(final.Events) {
		t.Errorf("the webhook got %d POSTs for %d events", got, len(final.Events))
	}
	t.Logf("node A sent %d of the %d deliveries, node B the others",
		strings.Count(nodeA.logs.String(), `msg="webhooks: delivered"`), len(final.Events))
}

// followCall reads stream until call.ended of callID and returns that
// call's events in the order received, with how long after its
// created_at each one arrived (a measurement, not checked).
func followCall(t *testing.T, stream *sseStream, callID string) ([]eventJSON, []time.Duration) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var (
		out  []eventJSON
		lags []time.Duration
	)
	for len(out) == 0 || out[len(out)-1].Type != "call.ended" {
		ev, ok := stream.next(time.Until(deadline))
		if !ok {
			t.Fatalf("GET %s: the stream ended before call.ended of %s; got %v", stream.path, callID, describeEvents(out))
		}
		e := stream.decode(ev)
		if e.Data.Call.ID != callID {
			continue
		}
		out = append(out, e)
		if at, err := time.Parse(time.RFC3339Nano, e.CreatedAt); err == nil {
			lags = append(lags, time.Since(at).Round(time.Millisecond))
		}
	}
	return out, lags
}
