package voip

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// Registration intervals. Phones asking for less than minExpires get 423
// (RFC 3261 10.3 step 7); more than maxExpires is shortened so a phone that
// vanished without un-registering stops being rung within the hour.
const (
	minExpires     = 60
	maxExpires     = 3600
	defaultExpires = 3600
)

// handleRegister is the registrar: digest-authenticate the phone (user name =
// internal number), then add, refresh or remove its contact bindings.
func (e *Engine) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := e.register(ctx, req)
	respond(tx, res, e.log)
}

func (e *Engine) register(ctx context.Context, req *sip.Request) *sip.Response {
	phone, username, res := e.authorize(ctx, req, false)
	if res != nil {
		return res
	}
	if to := req.To(); to == nil || to.Address.User != username {
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "To Does Not Match Credentials", nil)
	}

	now := e.now()
	if res := e.updateBindings(ctx, req, phone, now); res != nil {
		return res
	}
	regs, err := e.cfg.Registrations.Registrations(ctx, phone.ID, now)
	if err != nil {
		e.log.Error("register: list bindings", "err", err)
		return storeFailure(req, err)
	}
	res = sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, r := range regs {
		var c sip.ContactHeader
		if _, err := sip.ParseAddressValue(r.Contact, &c.Address, &c.Params); err != nil {
			continue
		}
		c.Params = sip.HeaderParams{}
		c.Params.Add("expires", strconv.Itoa(int(r.ExpiresAt.Sub(now).Seconds()+0.5)))
		res.AppendHeader(&c)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	return res
}

// authenticate checks the credentials. Unknown users and wrong passwords
// give the same error, so a scanner cannot enumerate extensions.
func (e *Engine) authenticate(ctx context.Context, req *sip.Request, t tenant, cred digestCredentials) (*sipsim.Phone, error) {
	if cred.realm != t.realm {
		return nil, errDigestMismatch
	}
	num, err := strconv.Atoi(cred.username)
	if err != nil || num < 100 || num > 999 {
		return nil, errDigestMismatch
	}
	phone, err := e.cfg.Phones.PhoneByInternalNumber(ctx, t.accountID, num)
	if sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
		return nil, errDigestMismatch
	} else if err != nil {
		return nil, err
	}
	if err := e.digest.verify(cred, string(req.Method), phone.SIPHA1MD5, phone.SIPHA1SHA256); err != nil {
		return nil, err
	}
	return phone, nil
}

// updateBindings applies the Contact headers of a REGISTER. It returns a
// response only when the request must be refused.
func (e *Engine) updateBindings(ctx context.Context, req *sip.Request, phone *sipsim.Phone, now time.Time) *sip.Response {
	headerExpires := -1
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && v >= 0 {
			headerExpires = v
		}
	}
	contacts := req.GetHeaders("Contact")
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Contact", nil)
		}
		if c.Address.Wildcard {
			if headerExpires != 0 || len(contacts) != 1 {
				return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Wildcard Contact Needs Expires 0", nil)
			}
			if err := e.cfg.Registrations.DeleteRegistrations(ctx, phone.ID); err != nil {
				e.log.Error("register: remove all bindings", "err", err)
				return storeFailure(req, err)
			}
			e.log.Info("phone unregistered", "phone_id", phone.ID, "contact", "*")
			return nil
		}
	}
	for _, h := range contacts {
		c := h.(*sip.ContactHeader)
		expires := headerExpires
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				expires = n
			}
		}
		if expires < 0 {
			expires = defaultExpires
		}
		contact := c.Address.String()
		if expires == 0 {
			if err := e.cfg.Registrations.DeleteRegistration(ctx, phone.ID, contact); err != nil {
				e.log.Error("register: remove binding", "err", err)
				return storeFailure(req, err)
			}
			e.log.Info("phone unregistered", "phone_id", phone.ID, "contact", contact)
			continue
		}
		if expires < minExpires {
			res := sip.NewResponseFromRequest(req, sip.StatusIntervalToBrief, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
			return res
		}
		expires = min(expires, maxExpires)
		r := &sipsim.Registration{
			AccountID: phone.AccountID,
			PhoneID:   phone.ID,
			Contact:   contact,
			Received:  req.Source(),
			Transport: strings.ToLower(req.Transport()),
			CallID:    req.CallID().Value(),
			ExpiresAt: now.Add(time.Duration(expires) * time.Second),
			NodeID:    e.cfg.NodeID,
		}
		if cseq := req.CSeq(); cseq != nil {
			r.CSeq = cseq.SeqNo
		}
		if ua := req.GetHeader("User-Agent"); ua != nil {
			r.UserAgent = ua.Value()
		}
		if err := e.cfg.Registrations.SaveRegistration(ctx, r); err != nil {
			e.log.Error("register: save binding", "err", err)
			return storeFailure(req, err)
		}
		e.log.Info("phone registered", "phone_id", phone.ID, "contact", contact, "received", r.Received, "transport", r.Transport, "expires", expires)
	}
	return nil
}
