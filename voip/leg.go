package voip

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// leg is one INVITE dialog we started: to a phone (leg A) or to the trunk
// (leg B).
type leg struct {
	e      *Engine
	dlg    *sipgo.DialogClientSession
	answer sessionDesc // from the 200 OK
}

// party is one side of a connected call, whichever side sent the INVITE:
// a leg we dialled or the handset that dialled us.
type party interface {
	done() <-chan struct{} // closed when the peer hangs up
	hangup()               // BYE, unless the peer already ended the dialog
}

// legRequest says whom to INVITE and how.
type legRequest struct {
	recipient   sip.Uri
	destination string // "host:port" to send to instead of the URI (NAT: the address the phone registered from)
	transport   string // "udp" or "tcp"
	from        sip.FromHeader
	to          sip.ToHeader
	headers     []sip.Header
	sdp         []byte
	username    string // digest credentials if the peer challenges (trunk)
	password    string
	// onProvisional sees each 1xx (ringing, early media SDP).
	onProvisional func(res *sip.Response)
}

// legFailure is a final non-2xx answer or a failure to get any answer.
type legFailure struct {
	code int   // SIP status, 0 when nothing came back
	err  error // cause
}

func (f *legFailure) Error() string {
	if f.code > 0 {
		return "sip " + strconv.Itoa(f.code) + ": " + f.err.Error()
	}
	return f.err.Error()
}

func (f *legFailure) Unwrap() error { return f.err }

// cancelGrace is how long a cancelled INVITE waits for the provisional
// response that a CANCEL needs.
const cancelGrace = 2 * time.Second

// errGaveUp marks an INVITE we cancelled ourselves (ring timeout, another
// contact answered, the call was cancelled).
var errGaveUp = errors.New("invite cancelled")

// invite sends the INVITE and waits for the final answer. Cancelling ctx
// sends CANCEL (or, before any provisional, gives up at once: RFC 3261 9.1
// forbids a CANCEL before a 1xx, and waiting for Timer B would hold the
// call 32 s). On success the dialog is ACKed and known to the BYE handler.
func (e *Engine) invite(ctx context.Context, r legRequest) (*leg, error) {
	req := sip.NewRequest(sip.INVITE, r.recipient)
	req.SetTransport(strings.ToUpper(r.transport))
	if r.destination != "" {
		req.SetDestination(r.destination)
	}
	if strings.EqualFold(r.transport, "udp") && e.udpAddr.Port > 0 {
		// Leave from the listening socket: phones behind NAT only accept
		// packets from the address they registered to.
		e.udpAddr.Copy(&req.Laddr)
	}
	// Our own Call-ID, so the provisional tap knows this leg's 18x before
	// the INVITE leaves.
	callID := sip.CallIDHeader(sip.GenerateTagN(24))
	req.AppendHeader(&callID)
	if r.onProvisional != nil {
		seen := map[string]bool{} // the tap and the transaction may both report a 18x
		var mu sync.Mutex
		report := r.onProvisional
		r.onProvisional = func(res *sip.Response) {
			key := strconv.Itoa(res.StatusCode) + "/" + res.CSeq().Value() + "/" + toTag(res)
			mu.Lock()
			dup := seen[key]
			seen[key] = true
			mu.Unlock()
			if !dup {
				report(res)
			}
		}
		defer e.tap.watch(string(callID), r.onProvisional)()
	}
	from := r.from
	from.Params = sip.NewParams()
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := r.to
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	for _, h := range r.headers {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	req.SetBody(r.sdp)

	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "sipsim", Host: e.cfg.PublicAddr, Port: e.port}}
	if strings.EqualFold(r.transport, "tcp") {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	// A phone's in-dialog requests (ACK, BYE) go where its answer came
	// from, not to the Contact it wrote: behind NAT that Contact is a
	// private address. The trunk's Contact is trusted as RFC 3261 says.
	ua := &sipgo.DialogUA{Client: e.client, ContactHDR: contact, RewriteContact: r.destination != ""}

	gotProvisional := make(chan struct{})
	waitCtx, stopWait := context.WithCancelCause(context.Background())
	defer stopWait(nil)

	dlg, err := ua.WriteInvite(ctx, req)
	if err != nil {
		return nil, &legFailure{err: err}
	}
	// Translate the caller's cancellation into CANCEL. RFC 3261 9.1 allows
	// a CANCEL only after a provisional response: wait a moment for one
	// (a live peer sends 100 Trying at once), then give up without one
	// rather than hold the call for Timer B (32 s).
	go func() {
		select {
		case <-ctx.Done():
		case <-waitCtx.Done():
			return
		}
		select {
		case <-gotProvisional:
			stopWait(errGaveUp)
		case <-time.After(cancelGrace):
			stopWait(sipgo.WaitAnswerForceCancelErr)
		case <-waitCtx.Done():
		}
	}()

	provisional := false
	err = dlg.WaitAnswer(waitCtx, sipgo.AnswerOptions{
		Username: r.username,
		Password: r.password,
		OnResponse: func(res *sip.Response) error {
			if res.IsProvisional() {
				if !provisional {
					provisional = true
					close(gotProvisional)
				}
				if r.onProvisional != nil && res.StatusCode > 100 {
					r.onProvisional(res)
				}
			}
			return nil
		},
	})
	if err != nil {
		var dr *sipgo.ErrDialogResponse
		if errors.As(err, &dr) {
			return nil, &legFailure{code: dr.Res.StatusCode, err: err}
		}
		if waitCtx.Err() != nil {
			// Record what the peer answered to our CANCEL (487 from a
			// well-behaved UA), if anything.
			code := 0
			if res := dlg.InviteResponse; res != nil && !res.IsProvisional() {
				code = res.StatusCode
			}
			return nil, &legFailure{code: code, err: errGaveUp}
		}
		return nil, &legFailure{err: err}
	}
	if ctx.Err() != nil {
		// Answered just as we gave up: finish the handshake and hang up
		// so the peer is not left with a half-open call.
		l := &leg{e: e, dlg: dlg}
		_ = dlg.Ack(context.Background())
		l.hangup()
		return nil, &legFailure{err: errGaveUp}
	}
	l := &leg{e: e, dlg: dlg}
	if err := dlg.Ack(ctx); err != nil {
		l.hangup()
		return nil, &legFailure{err: err}
	}
	e.dialogs.Store(dlg.ID, dlg)
	l.answer, err = parseSDP(dlg.InviteResponse.Body())
	if err != nil {
		l.hangup()
		return nil, &legFailure{code: 488, err: err}
	}
	return l, nil
}

func toTag(res *sip.Response) string {
	if to := res.To(); to != nil {
		t, _ := to.Params.Get("tag")
		return t
	}
	return ""
}

// done is closed when the peer hangs up (BYE) or the dialog otherwise ends.
func (l *leg) done() <-chan struct{} { return l.dlg.Context().Done() }

// hangup sends BYE unless the peer already ended the dialog.
func (l *leg) hangup() {
	defer l.e.dialogs.Delete(l.dlg.ID)
	if l.dlg.LoadState() == sip.DialogStateEnded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.dlg.Bye(ctx); err != nil {
		l.e.log.Debug("bye failed", "err", err)
	}
}
