package voip

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// refusingRouter refuses every handset call with err and remembers what
// was dialled.
type refusingRouter struct {
	mu     sync.Mutex // the engine calls in from its own goroutines
	err    error
	dialed chan sipsim.HandsetDial
}

func (r *refusingRouter) StartHandsetCall(_ context.Context, d sipsim.HandsetDial) (*sipsim.HandsetCall, error) {
	r.dialed <- d
	r.mu.Lock()
	defer r.mu.Unlock()
	return nil, r.err
}

func (r *refusingRouter) refuseWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// dialFrom sends an INVITE for number from the peer as phone 101 with
// password, and returns the final status code.
func dialFrom(t *testing.T, p *peer, te *testEngine, number, password string) int {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1", Port: te.e.Port()})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1"}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(p.sdp())
	ua := &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1", Port: p.port}}}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	dlg, err := ua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "101", Password: password})
	var dr *sipgo.ErrDialogResponse
	if errors.As(err, &dr) {
		return dr.Res.StatusCode
	}
	if err != nil {
		t.Fatalf("INVITE %s: %v", number, err)
	}
	return dlg.InviteResponse.StatusCode
}

func TestIntegrationHandsetCallsAreAuthenticatedAndRefusedClearly(t *testing.T) {
	router := &refusingRouter{dialed: make(chan sipsim.HandsetDial, 10)}
	te := startEngineWith(t, nil, router) // the router is set before Listen, as SetHandsetRouter asks
	phone := newPeer(t, answers)

	// A wrong password is challenged again and never reaches the router:
	// no free calls for a scanner.
	if code := dialFrom(t, phone, te, "+33698765432", "wrong-password"); code != sip.StatusProxyAuthRequired {
		t.Fatalf("wrong password: %d, want 407", code)
	}
	select {
	case d := <-router.dialed:
		t.Fatalf("an unauthenticated call reached the router: %+v", d)
	default:
	}

	for _, tc := range []struct {
		err  error
		want int
	}{
		{sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call"), sip.StatusBusyHere},
		{sipsim.Errorf(sipsim.ENOTFOUND, "No phone has internal number 999"), sip.StatusNotFound},
		{sipsim.Errorf(sipsim.EINVALID, "not a number"), sip.StatusAddressIncomplete},
		{sipsim.Errorf(sipsim.EUNPROCESSABLE, "nothing registered"), sip.StatusTemporarilyUnavailable},
		{sipsim.Errorf(sipsim.EUNAVAILABLE, "shutting down"), sip.StatusServiceUnavailable},
		{sipsim.Errorf(sipsim.EFORBIDDEN, "Calls to premium-rate numbers are not allowed"), sip.StatusForbidden},
		{&sipsim.Error{Code: sipsim.ERATELIMIT, Message: "Too many calls", RetryAfter: 1500 * time.Millisecond}, sip.StatusServiceUnavailable},
	} {
		router.refuseWith(tc.err)
		if code := dialFrom(t, phone, te, "+33698765432", "secret-101"); code != tc.want {
			t.Errorf("router says %v: handset got %d, want %d", tc.err, code, tc.want)
		}
		d := <-router.dialed
		if d.Phone == nil || d.Phone.ID != te.phone.ID || d.Dialled != "+33698765432" {
			t.Errorf("router got %+v, want phone %d dialling +33698765432", d, te.phone.ID)
		}
	}
}

func TestRefusalSaysWhenToRetry(t *testing.T) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "+33698765432", Host: "127.0.0.1"})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "101", Host: "127.0.0.1"}})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "+33698765432", Host: "127.0.0.1"}})
	res := refusal(req, &sipsim.Error{Code: sipsim.ERATELIMIT, Message: "Too many calls", RetryAfter: 1500 * time.Millisecond})
	if h := res.GetHeader("Retry-After"); res.StatusCode != 503 || h == nil || h.Value() != "2" {
		t.Errorf("rate limited: %d, Retry-After %v; want 503 and 2 (seconds, rounded up)", res.StatusCode, h)
	}
	if h := refusal(req, sipsim.Errorf(sipsim.ERATELIMIT, "Too many calls at once")).GetHeader("Retry-After"); h != nil {
		t.Errorf("no known wait, yet Retry-After %s", h.Value())
	}
}
