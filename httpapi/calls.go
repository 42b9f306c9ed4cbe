package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// handleCreateCall starts a click-to-call: the employee's phone rings
// first, then the target is dialled. It answers 201 before anything rings.
func handleCreateCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeCreateCall(w, r)
		if err == nil {
			req.TokenID, err = rateKey(r.Context(), cfg, tokenFrom(r.Context()))
		}
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		call, err := cfg.Calls.CreateCall(r.Context(), req)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, phoneNotFound))
			return
		}
		// The call exists and is starting: failing the request now would
		// make the client retry into a 409, so the timeline is best effort.
		events, err := cfg.Calls.CallEvents(r.Context(), req.AccountID, call.ID)
		if err != nil {
			cfg.Logger.WarnContext(r.Context(), "read events of new call",
				"request_id", requestID(r.Context()), "call_id", call.ID, "err", err)
			events = nil
		}
		w.Header().Set("Location", "/api/v2/calls/"+url.PathEscape(call.ID))
		writeData(w, r, cfg, http.StatusCreated, wire.NewCall(call, events))
	})
}

// rateKey is what the per-token call rate counts under: the token itself,
// or, for an OAuth access token, its client, negated so it cannot meet a
// token id. Otherwise a client would reset its budget by asking for a new
// access token.
func rateKey(ctx context.Context, cfg Config, tok *sipsim.Token) (int64, error) {
	if tok.ClientID == "" {
		return tok.ID, nil
	}
	c, err := cfg.Tokens.ClientByClientID(ctx, tok.ClientID)
	if err != nil {
		return 0, err
	}
	return -c.ID, nil
}

// decodeCreateCall reads {"phone_id": integer, "target_number": string}.
// The target number itself is the call service's to judge.
func decodeCreateCall(w http.ResponseWriter, r *http.Request) (sipsim.CreateCallRequest, error) {
	token := tokenFrom(r.Context())
	req := sipsim.CreateCallRequest{AccountID: token.AccountID, TokenID: token.ID}
	if _, err := queryParams(r); err != nil {
		return req, err
	}
	o, err := readObject(w, r)
	if err != nil {
		return req, err
	}
	o.require("phone_id", "target_number")
	o.Int("phone_id", &req.PhoneID)
	o.Str("target_number", &req.TargetNumber)
	var ringSeconds int64
	ringGiven := o.Int("agent_ring_timeout", &ringSeconds)
	o.Bool("auto_answer", &req.AutoAnswer)
	o.Str("caller_id_name", &req.CallerIDName)
	if err := o.finish(); err != nil {
		return req, err
	}
	var problems []string
	if req.PhoneID <= 0 {
		problems = append(problems, "phone_id must be a positive integer")
	}
	if ringGiven {
		if ringSeconds < minAgentRing || ringSeconds > maxAgentRing {
			problems = append(problems, fmt.Sprintf("agent_ring_timeout must be between %d and %d seconds", minAgentRing, maxAgentRing))
		}
		req.AgentRingTimeout = time.Duration(ringSeconds) * time.Second
	}
	if n := utf8.RuneCountInString(req.CallerIDName); n > maxCallerIDName || strings.ContainsAny(req.CallerIDName, "\"\\\r\n") {
		problems = append(problems, fmt.Sprintf("caller_id_name must be at most %d characters, without quotes, backslashes or line breaks", maxCallerIDName))
	}
	if len(problems) > 0 {
		return req, badRequest(problems...)
	}
	return req, nil
}

// Bounds of the per-request options of POST /calls.
const (
	minAgentRing    = 5
	maxAgentRing    = 300
	maxCallerIDName = 64
)

// handleGetCall returns a call of the account as it stands.
func handleGetCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		v, err := loadCall(r.Context(), cfg, tokenFrom(r.Context()).AccountID, r.PathValue("id"))
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, v)
	})
}

// callNotFound is the message of every 404 about a call.
const callNotFound = "Call not found"

// loadCall returns a call of the account with its timeline.
func loadCall(ctx context.Context, cfg Config, accountID int64, id string) (wire.Call, error) {
	call, err := cfg.Calls.Call(ctx, accountID, id)
	if err != nil {
		return wire.Call{}, err
	}
	return renderCall(ctx, cfg, call)
}

// renderCall renders call with its timeline.
func renderCall(ctx context.Context, cfg Config, call *sipsim.Call) (wire.Call, error) {
	events, err := cfg.Calls.CallEvents(ctx, call.AccountID, call.ID)
	if err != nil {
		return wire.Call{}, err
	}
	return wire.NewCall(call, events), nil
}
