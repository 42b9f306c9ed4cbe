package voip

import (
	"context"
	"errors"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// authorize digest-authenticates a phone's request: REGISTER with
// Authorization (401 challenges), or, with proxy set, INVITE with
// Proxy-Authorization (407 challenges, RFC 3261 22.3). It returns the
// active phone and the user name it proved, or the response that refuses
// the request.
func (e *Engine) authorize(ctx context.Context, req *sip.Request, proxy bool) (*sipsim.Phone, string, *sip.Response) {
	header := "Authorization"
	if proxy {
		header = "Proxy-Authorization"
	}
	h := req.GetHeader(header)
	if h == nil {
		return nil, "", e.challenge(req, proxy, false)
	}
	cred, err := parseDigest(h.Value())
	if err != nil {
		// Garbage credentials count as a failure: no phone sends them.
		e.log.Info("authentication failed", "method", req.Method, "source", req.Source(), "reason", err)
		e.guard.authFailed(req.Source())
		return nil, "", e.challenge(req, proxy, false)
	}
	phone, err := e.authenticate(ctx, req, cred)
	switch {
	case errors.Is(err, errDigestStale):
		// Not counted: a phone with the right password meets this after
		// every nonce lifetime.
		return nil, "", e.challenge(req, proxy, true)
	case errors.Is(err, errDigestMismatch), errors.Is(err, errDigestMalformed), errors.Is(err, errDigestReplay):
		e.log.Info("authentication failed", "method", req.Method, "user", cred.username, "source", req.Source(), "reason", err)
		e.guard.authFailed(req.Source())
		return nil, "", e.challenge(req, proxy, false)
	case err != nil:
		e.log.Error("authentication: phone lookup", "err", err)
		return nil, "", sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil)
	}
	if phone.Status != sipsim.PhoneActive {
		return nil, "", sip.NewResponseFromRequest(req, sip.StatusForbidden, "Phone Not Active", nil)
	}
	return phone, cred.username, nil
}

// challenge asks for digest credentials: 401 WWW-Authenticate for a
// registrar, 407 Proxy-Authenticate for calls.
func (e *Engine) challenge(req *sip.Request, proxy, stale bool) *sip.Response {
	if proxy {
		res := sip.NewResponseFromRequest(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate", e.digest.challenge(e.cfg.Realm, stale)))
		return res
	}
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", e.digest.challenge(e.cfg.Realm, stale)))
	return res
}
