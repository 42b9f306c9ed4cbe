package storetest

import (
	"fmt"
	"testing"

	"github.com/sipsim/sipsim"
)

func testWebhooks(t *testing.T, open OpenFunc) {
	t.Run("CRUD", func(t *testing.T) { testWebhookCRUD(t, open) })
	t.Run("NotFound", func(t *testing.T) { testWebhookNotFound(t, open) })
}

// newWebhook returns a webhook of account for types (none: every type).
func newWebhook(account int64, n int, types ...string) *sipsim.Webhook {
	return &sipsim.Webhook{
		AccountID:   account,
		URL:         fmt.Sprintf("https://crm.example.com/hooks/%d", n),
		EventTypes:  types,
		Secret:      fmt.Sprintf("whsec_secret%d", n),
		Description: fmt.Sprintf("CRM hook %d", n),
	}
}

func (e *env) createWebhook(t *testing.T, account int64, n int, types ...string) *sipsim.Webhook {
	t.Helper()
	w := newWebhook(account, n, types...)
	must(t, e.s.CreateWebhook(e.ctx, w))
	return w
}

func testWebhookCRUD(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	all := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	if all.ID <= 0 || !all.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("created webhook = %+v; want an id and CreatedAt %s", all, e.clock.Now())
	}
	// Types come back in the order given.
	some := e.createWebhook(t, sipsim.DefaultAccountID, 2, sipsim.EventCallEnded, sipsim.EventCallCreated)
	e.createWebhook(t, OtherAccountID, 3)

	for _, w := range []*sipsim.Webhook{all, some} {
		got, err := e.s.Webhook(e.ctx, sipsim.DefaultAccountID, w.ID)
		must(t, err)
		wantEqual(t, "Webhook", got, w)
	}
	got, err := e.s.Webhook(e.ctx, sipsim.DefaultAccountID, all.ID)
	must(t, err)
	if len(got.EventTypes) != 0 || !got.Wants(sipsim.EventCallAnswered) {
		t.Fatalf("webhook for every type came back with types %v", got.EventTypes)
	}
	list, err := e.s.Webhooks(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "Webhooks", list, []*sipsim.Webhook{all, some})

	must(t, e.s.DeleteWebhook(e.ctx, sipsim.DefaultAccountID, all.ID))
	_, err = e.s.Webhook(e.ctx, sipsim.DefaultAccountID, all.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Webhook not found")
	wantCode(t, e.s.DeleteWebhook(e.ctx, sipsim.DefaultAccountID, all.ID), sipsim.ENOTFOUND, "Webhook not found")
	list, err = e.s.Webhooks(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "Webhooks after delete", list, []*sipsim.Webhook{some})

	none, err := e.s.Webhooks(e.ctx, OtherAccountID+1)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("Webhooks of an account without webhooks = %d", len(none))
	}
}

func testWebhookNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	w := e.createWebhook(t, sipsim.DefaultAccountID, 1)
	for _, tt := range []struct {
		name    string
		account int64
		id      int64
	}{
		{"unknown id", sipsim.DefaultAccountID, w.ID + 100},
		{"other account", OtherAccountID, w.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.Webhook(e.ctx, tt.account, tt.id)
			wantCode(t, err, sipsim.ENOTFOUND, "Webhook not found")
			wantCode(t, e.s.DeleteWebhook(e.ctx, tt.account, tt.id), sipsim.ENOTFOUND, "Webhook not found")
			_, err = e.s.WebhookDeliveries(e.ctx, tt.account, tt.id, 10)
			wantCode(t, err, sipsim.ENOTFOUND, "Webhook not found")
		})
	}
	got, err := e.s.Webhook(e.ctx, sipsim.DefaultAccountID, w.ID)
	must(t, err)
	wantEqual(t, "Webhook untouched", got, w)
}
