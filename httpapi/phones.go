package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// phoneNotFound is the message of every 404 about a phone.
const phoneNotFound = "Phone not found"

// handleListPhones lists the account's phones, optionally by status.
func handleListPhones(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := queryParams(r, "status")
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f := sipsim.PhoneFilter{AccountID: tokenFrom(r.Context()).AccountID}
		key := listKey{account: f.AccountID, list: sipsim.ListPhones}
		if vs, ok := q["status"]; ok {
			status := sipsim.PhoneStatus(vs[0])
			if len(vs) > 1 || !status.Valid() {
				writeError(w, r, cfg, badRequest("status must be one of not_activated, active, inactive"))
				return
			}
			f.Status = &status
			key.query = string(status)
		}
		serveList(w, r, cfg, key, false, func() (any, time.Time, string, error) {
			phones, err := cfg.Phones.Phones(r.Context(), f)
			if err != nil {
				return nil, time.Time{}, "", err
			}
			out, until, err := renderPhones(r.Context(), cfg, f.AccountID, phones)
			return out, until, "", err
		})
	})
}

// handleGetPhone returns one phone of the account.
func handleGetPhone(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		p, err := cfg.Phones.Phone(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, phoneNotFound))
			return
		}
		v, err := renderPhone(r.Context(), cfg, p)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		writeData(w, r, cfg, http.StatusOK, v)
	})
}

// handleCreatePhone adds a phone. With a sip_password the phone is active
// (it can register at once) unless the body says otherwise.
func handleCreatePhone(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := decodeNewPhone(w, r, cfg)
		if err == nil {
			err = checkOutboundPhone(r.Context(), cfg, p)
		}
		if err == nil {
			err = checkAudioFiles(r.Context(), cfg, p, nil)
		}
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.Phones.CreatePhone(r.Context(), p); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		v, err := renderPhone(r.Context(), cfg, p)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v2/phones/%d", p.ID))
		writeData(w, r, cfg, http.StatusCreated, v)
	})
}

// decodeNewPhone reads and validates a POST body into a phone to store.
func decodeNewPhone(w http.ResponseWriter, r *http.Request, cfg Config) (*sipsim.Phone, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	o, err := readObject(w, r)
	if err != nil {
		return nil, err
	}
	p := newPhone(tokenFrom(r.Context()).AccountID)
	pw := applyPhone(o, p)
	o.require("name", "internal_number", "number")
	if err := o.finish(); err != nil {
		return nil, err
	}
	if !pw.statusGiven {
		p.Status = sipsim.PhoneNotActivated
		if pw.password != nil {
			p.Status = sipsim.PhoneActive
		}
	}
	problems := phoneProblems(p, pw, "")
	if p.Status == sipsim.PhoneActive && pw.password == nil {
		problems = append(problems, "sip_password is required to activate a phone")
	}
	if len(problems) > 0 {
		return nil, badRequest(problems...)
	}
	if pw.password != nil {
		realm, err := accountDomain(r.Context(), cfg, p.AccountID)
		if err != nil {
			return nil, err
		}
		setPassword(p, *pw.password, realm)
	}
	p.Country = e164.Region(p.Number)
	return p, nil
}

// handleUpdatePhone merges a PATCH body into a stored phone.
func handleUpdatePhone(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		o, err := readObject(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		stored, err := cfg.Phones.Phone(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, phoneNotFound))
			return
		}
		realm, err := accountDomain(r.Context(), cfg, stored.AccountID)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		p, err := patchPhone(o, stored, realm)
		if err == nil {
			err = checkOutboundPhone(r.Context(), cfg, p)
		}
		if err == nil {
			err = checkAudioFiles(r.Context(), cfg, p, stored)
		}
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if !o.empty() {
			if err := cfg.Phones.UpdatePhone(r.Context(), p); err != nil {
				writeError(w, r, cfg, notFoundAs(err, phoneNotFound))
				return
			}
		}
		if revokesBindings(stored, p) {
			// Devices registered with the old credentials, or to a phone
			// that is no longer active, must not keep receiving calls.
			if err := cfg.Registrations.DeleteRegistrations(r.Context(), p.ID); err != nil {
				cfg.Logger.WarnContext(r.Context(), "drop registrations of updated phone",
					"request_id", requestID(r.Context()), "phone_id", p.ID, "err", err)
			}
		}
		v, err := renderPhone(r.Context(), cfg, p)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		writeData(w, r, cfg, http.StatusOK, v)
	})
}

// patchPhone returns a copy of stored with the body applied and checked.
func patchPhone(o *object, stored *sipsim.Phone, realm string) (*sipsim.Phone, error) {
	p := *stored
	if stored.Group != nil {
		g := *stored.Group
		p.Group = &g
	}
	pw := applyPhone(o, &p)
	if err := o.finish(); err != nil {
		return nil, err
	}
	problems := phoneProblems(&p, pw, stored.Country)
	if p.InternalNumber != stored.InternalNumber && pw.password == nil {
		// HA1 hashes the user name, which is the internal number.
		problems = append(problems, "sip_password is required when internal_number changes")
	}
	if p.Status == sipsim.PhoneActive && pw.password == nil && p.SIPHA1MD5 == "" {
		problems = append(problems, "sip_password is required to activate a phone")
	}
	if len(problems) > 0 {
		return nil, badRequest(problems...)
	}
	if pw.password != nil {
		setPassword(&p, *pw.password, realm)
	}
	p.Country = e164.Region(p.Number)
	return &p, nil
}

// revokesBindings reports whether an update makes the phone's current
// registrations invalid: new SIP credentials, or the phone leaving active.
func revokesBindings(before, after *sipsim.Phone) bool {
	credentials := after.InternalNumber != before.InternalNumber ||
		after.SIPHA1SHA256 != before.SIPHA1SHA256 || after.SIPRealm != before.SIPRealm
	return credentials || (before.Status == sipsim.PhoneActive && after.Status != sipsim.PhoneActive)
}

// handleDeletePhone removes a phone and its registrations.
func handleDeletePhone(cfg Config) http.Handler {
	type response struct {
		ID      int64 `json:"id"`
		Deleted bool  `json:"deleted"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.Phones.DeletePhone(r.Context(), tokenFrom(r.Context()).AccountID, id); err != nil {
			writeError(w, r, cfg, notFoundAs(err, phoneNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, response{ID: id, Deleted: true})
	})
}

// checkOutboundPhone checks that the phone whose number p borrows as caller
// ID (use_different_outbound_number) exists in the account, is another
// phone, and has a number: a call must never go out under a number that is
// not the account's.
func checkOutboundPhone(ctx context.Context, cfg Config, p *sipsim.Phone) error {
	out := p.OutboundSetting
	if !out.UseDifferentOutboundNumber || out.OutboundNumberPhoneID == nil {
		return nil
	}
	const field = "outbound_setting.outbound_number_phone_id"
	id := *out.OutboundNumberPhoneID
	if id == p.ID {
		return badRequest(field + " must name another phone, not this one")
	}
	other, err := cfg.Phones.Phone(ctx, p.AccountID, id)
	switch {
	case sipsim.ErrorCode(err) == sipsim.ENOTFOUND:
		return badRequest(fmt.Sprintf("%s: phone %d not found", field, id))
	case err != nil:
		return err
	case other.Number == "":
		return badRequest(fmt.Sprintf("%s: phone %d has no number", field, id))
	}
	return nil
}
