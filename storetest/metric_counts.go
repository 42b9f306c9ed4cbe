package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// testMetricCounts checks the counts metrics read: live bindings of one
// node (expired ones and other nodes' left out), and pending deliveries
// of every account (finished ones left out).
func testMetricCounts(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	now := e.clock.Now()
	p := phoneOnEnv(t, e, 1)
	elsewhere := registration(p, "sip:b@192.0.2.2", now.Add(time.Hour))
	elsewhere.NodeID = "node_other"
	for _, r := range []*sipsim.Registration{
		registration(p, "sip:a@192.0.2.1", now.Add(time.Hour)),
		registration(p, "sip:c@192.0.2.3", now.Add(time.Minute)),
		registration(p, "sip:d@192.0.2.4", now.Add(-time.Minute)),
		elsewhere,
	} {
		must(t, e.s.SaveRegistration(e.ctx, r))
	}
	n, err := e.s.LiveRegistrationCount(e.ctx, "node_registrar", now)
	must(t, err)
	if n != 2 {
		t.Errorf("LiveRegistrationCount(node_registrar) = %d, want 2 (one expired, one on another node)", n)
	}

	ours := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	e.createWebhook(t, OtherAccountID, 2)
	c := newCall("call_1", p.ID)
	must(t, e.s.CreateCall(e.ctx, c, event(c, sipsim.EventCallCreated, e.clock.Advance(time.Second)), sipsim.CallLimits{}))
	oc := newCall("call_2", phoneOnEnv(t, e, 2).ID)
	oc.AccountID = OtherAccountID
	must(t, e.s.CreateCall(e.ctx, oc, event(oc, sipsim.EventCallCreated, e.clock.Advance(time.Second)), sipsim.CallLimits{}))
	pending, err := e.s.PendingDeliveryCount(e.ctx)
	must(t, err)
	if pending != 2 {
		t.Fatalf("PendingDeliveryCount = %d, want 2 (one per account)", pending)
	}
	ds, err := e.s.WebhookDeliveries(e.ctx, sipsim.DefaultAccountID, ours.ID, 10)
	must(t, err)
	must(t, e.s.RecordAttempt(e.ctx, &sipsim.DeliveryAttempt{DeliveryID: ds[0].ID, Attempt: 1, At: e.clock.Now(), StatusCode: 200},
		sipsim.DeliverySucceeded, time.Time{}))
	if pending, err = e.s.PendingDeliveryCount(e.ctx); err != nil || pending != 1 {
		t.Errorf("PendingDeliveryCount after one succeeded = %d, %v; want 1", pending, err)
	}
}
