package httpapi

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// ringingCall is a call of account 1 whose employee's phone rings.
func ringingCall(id string, created time.Time) *sipsim.Call {
	started := created.Add(20 * time.Millisecond)
	return &sipsim.Call{
		ID: id, AccountID: 1, PhoneID: 123, TargetNumber: "+33698765432", CallerID: "+33987654321",
		Direction: "outbound", Source: "api", Status: sipsim.CallRingingAgent,
		AgentLeg:  sipsim.Leg{Status: sipsim.LegRinging, StartedAt: &started, RingingAt: &started},
		TargetLeg: sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt: created, UpdatedAt: started,
	}
}

// addTag stores a tag of account 1 with that id.
func (a *testAPI) addTag(id int64, name string) *sipsim.Tag {
	t := &sipsim.Tag{ID: id, AccountID: 1, Name: name, Color: "#ff8800", CreatedAt: testNow, UpdatedAt: testNow}
	a.tags.tags[id] = t
	a.tags.nextID = max(a.tags.nextID, id)
	return t
}

// tagCall puts a stored tag on a stored call.
func (a *testAPI) tagCall(callID string, tagID int64) {
	c := a.calls.calls[callID]
	c.Tags = append(c.Tags, *a.tags.tags[tagID])
}

// addWebhook stores a webhook of account 1 with that id.
func (a *testAPI) addWebhook(id int64, url string) *sipsim.Webhook {
	w := &sipsim.Webhook{ID: id, AccountID: 1, URL: url, Secret: "whsec_stored", Description: "CRM", CreatedAt: testNow}
	a.webhooks.hooks[id] = w
	a.webhooks.nextID = max(a.webhooks.nextID, id)
	return w
}

// pendingDelivery failed twice (no answer, then a 503) and waits.
func pendingDelivery() *sipsim.Delivery {
	return &sipsim.Delivery{
		ID: 8, AccountID: 1, WebhookID: 1, EventID: 42, EventType: sipsim.EventCallEnded,
		Status: sipsim.DeliveryPending, Attempts: 2, NextAttemptAt: testNow.Add(15 * time.Second),
		CreatedAt: testNow, UpdatedAt: testNow.Add(5 * time.Second),
		AttemptLog: []*sipsim.DeliveryAttempt{
			{DeliveryID: 8, Attempt: 1, At: testNow, Error: "connection refused", Duration: 3 * time.Millisecond},
			{DeliveryID: 8, Attempt: 2, At: testNow.Add(5 * time.Second), StatusCode: 503, ResponseBody: "down", Duration: 120 * time.Millisecond},
		},
	}
}

// succeededDelivery was accepted at the first attempt.
func succeededDelivery() *sipsim.Delivery {
	return &sipsim.Delivery{
		ID: 7, AccountID: 1, WebhookID: 1, EventID: 41, EventType: sipsim.EventCallAnswered,
		Status: sipsim.DeliverySucceeded, Attempts: 1, NextAttemptAt: testNow,
		CreatedAt: testNow, UpdatedAt: testNow,
		AttemptLog: []*sipsim.DeliveryAttempt{
			{DeliveryID: 7, Attempt: 1, At: testNow, StatusCode: 204, Duration: 9 * time.Millisecond},
		},
	}
}

// withSnapshots gives each event of c's timeline the call as it stood.
func withSnapshots(c *sipsim.Call, evs []*sipsim.CallEvent) []*sipsim.CallEvent {
	out := make([]*sipsim.CallEvent, len(evs))
	for i, ev := range evs {
		cp, snap := *ev, *c
		snap.Status, snap.UpdatedAt, snap.Tags = ev.Status, ev.At, nil
		cp.Call = &snap
		out[i] = &cp
	}
	return out
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	id, event, data string
}

// parseSSE reads the events of a complete stream body; comments are
// skipped.
func parseSSE(t *testing.T, body string) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur != (sseEvent{}) {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "id":
				cur.id = value
			case "event":
				cur.event = value
			case "data":
				cur.data = value
			default:
				t.Errorf("unexpected stream line %q", line)
			}
		}
	}
	if cur != (sseEvent{}) {
		t.Errorf("stream ends inside an event: %+v", cur)
	}
	return out
}

// b64 is the cursor encoding of s.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// jsonSame reports whether a and b encode to the same JSON.
func jsonSame(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(x) == string(y)
}
