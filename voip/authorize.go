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
	t, err := e.tenantOf(ctx, req, proxy)
	if err != nil {
		e.log.Error("authentication: account lookup", "err", err)
		return nil, "", storeFailure(req, err)
	}
	header := "Authorization"
	if proxy {
		header = "Proxy-Authorization"
	}
	h := req.GetHeader(header)
	if h == nil {
		return nil, "", e.challenge(req, t, proxy, false)
	}
	cred, err := parseDigest(h.Value())
	if err != nil {
		// Garbage credentials count as a failure: no phone sends them.
		e.log.Info("authentication failed", "method", req.Method, "source", req.Source(), "reason", err)
		e.guard.authFailed(req.Source())
		return nil, "", e.challenge(req, t, proxy, false)
	}
	phone, err := e.authenticate(ctx, req, t, cred)
	switch {
	case errors.Is(err, errDigestStale):
		// Not counted: a phone with the right password meets this after
		// every nonce lifetime.
		return nil, "", e.challenge(req, t, proxy, true)
	case errors.Is(err, errDigestMismatch), errors.Is(err, errDigestMalformed), errors.Is(err, errDigestReplay):
		e.log.Info("authentication failed", "method", req.Method, "user", cred.username, "source", req.Source(), "reason", err)
		e.guard.authFailed(req.Source())
		return nil, "", e.challenge(req, t, proxy, false)
	case err != nil:
		e.log.Error("authentication: phone lookup", "err", err)
		return nil, "", storeFailure(req, err)
	}
	if phone.Status != sipsim.PhoneActive {
		return nil, "", sip.NewResponseFromRequest(req, sip.StatusForbidden, "Phone Not Active", nil)
	}
	return phone, cred.username, nil
}

// challenge asks for digest credentials in the tenant's realm: 401
// WWW-Authenticate for a registrar, 407 Proxy-Authenticate for calls.
func (e *Engine) challenge(req *sip.Request, t tenant, proxy, stale bool) *sip.Response {
	code, reason, header := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, header = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, c := range e.digest.challenge(t.realm, stale) {
		res.AppendHeader(sip.NewHeader(header, c))
	}
	return res
}

// tenant is the account a phone's request is for, and the digest realm of
// its phones' passwords.
type tenant struct {
	accountID int64
	realm     string
}

// tenantOf finds the account by the domain of the phone's address of
// record: the To of a REGISTER, the From of an INVITE. A domain no account
// has (a phone configured with the server's IP) is the default account's,
// so a single-tenant deployment needs no DNS name.
func (e *Engine) tenantOf(ctx context.Context, req *sip.Request, proxy bool) (tenant, error) {
	def := tenant{accountID: e.cfg.AccountID, realm: e.cfg.Realm}
	var host string
	if proxy {
		if f := req.From(); f != nil {
			host = f.Address.Host
		}
	} else if to := req.To(); to != nil {
		host = to.Address.Host
	}
	if e.cfg.Accounts == nil || host == "" {
		return def, nil
	}
	a, err := e.cfg.Accounts.AccountBySIPDomain(ctx, host)
	switch {
	case sipsim.ErrorCode(err) == sipsim.ENOTFOUND:
		return def, nil
	case err != nil:
		return tenant{}, err
	}
	return tenant{accountID: a.ID, realm: a.SIPDomain}, nil
}
