package httpapi

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/sipsim/sipsim"
)

// callJSON is a call as it stands, with both legs and its timeline.
type callJSON struct {
	ID                  string            `json:"id"`
	PhoneID             int64             `json:"phone_id"`
	TargetNumber        string            `json:"target_number"`
	CallerID            string            `json:"caller_id"`
	Direction           string            `json:"direction"`
	Source              string            `json:"source"`
	Status              sipsim.CallStatus `json:"status"`
	EndedReason         *sipsim.EndReason `json:"ended_reason"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	AnsweredAt          *string           `json:"answered_at"`
	EndedAt             *string           `json:"ended_at"`
	RingDurationSeconds float64           `json:"ring_duration_seconds"`
	TalkDurationSeconds float64           `json:"talk_duration_seconds"`
	AgentLeg            legJSON           `json:"agent_leg"`
	TargetLeg           legJSON           `json:"target_leg"`
	Events              []callEventJSON   `json:"events"`
}

// legJSON is one SIP leg: the employee's phone (agent) or the customer
// through the trunk (target).
type legJSON struct {
	Status     sipsim.LegStatus `json:"status"`
	SIPCode    *int             `json:"sip_code"`
	Contact    *string          `json:"contact"`
	StartedAt  *string          `json:"started_at"`
	RingingAt  *string          `json:"ringing_at"`
	AnsweredAt *string          `json:"answered_at"`
	EndedAt    *string          `json:"ended_at"`
}

type callEventJSON struct {
	ID     int64             `json:"id"`
	Type   string            `json:"type"`
	Status sipsim.CallStatus `json:"status"`
	At     string            `json:"at"`
}

// callTime formats call timestamps in UTC with milliseconds: ring and
// answer times a second apart would otherwise look equal.
func callTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := callTime(*t)
	return &s
}

// seconds rounds a duration in seconds to milliseconds.
func seconds(s float64) float64 {
	return math.Round(s*1000) / 1000
}

func newLegJSON(l sipsim.Leg) legJSON {
	v := legJSON{
		Status:     l.Status,
		StartedAt:  optionalTime(l.StartedAt),
		RingingAt:  optionalTime(l.RingingAt),
		AnsweredAt: optionalTime(l.AnsweredAt),
		EndedAt:    optionalTime(l.EndedAt),
	}
	if v.Status == "" {
		v.Status = sipsim.LegIdle
	}
	if l.SIPCode != 0 {
		code := l.SIPCode
		v.SIPCode = &code
	}
	if l.Contact != "" {
		contact := l.Contact
		v.Contact = &contact
	}
	return v
}

func newCallJSON(c *sipsim.Call, events []*sipsim.CallEvent) callJSON {
	v := callJSON{
		ID:                  c.ID,
		PhoneID:             c.PhoneID,
		TargetNumber:        c.TargetNumber,
		CallerID:            c.CallerID,
		Direction:           c.Direction,
		Source:              c.Source,
		Status:              c.Status,
		CreatedAt:           callTime(c.CreatedAt),
		UpdatedAt:           callTime(c.UpdatedAt),
		AnsweredAt:          optionalTime(c.AnsweredAt),
		EndedAt:             optionalTime(c.EndedAt),
		RingDurationSeconds: seconds(c.RingSeconds()),
		TalkDurationSeconds: seconds(c.TalkSeconds()),
		AgentLeg:            newLegJSON(c.AgentLeg),
		TargetLeg:           newLegJSON(c.TargetLeg),
		Events:              make([]callEventJSON, 0, len(events)),
	}
	if c.EndedReason != "" {
		reason := c.EndedReason
		v.EndedReason = &reason
	}
	for _, e := range events {
		v.Events = append(v.Events, callEventJSON{ID: e.ID, Type: e.Type, Status: e.Status, At: callTime(e.At)})
	}
	return v
}

// handleCreateCall starts a click-to-call: the employee's phone rings
// first, then the target is dialled. It answers 201 before anything rings.
func handleCreateCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeCreateCall(w, r)
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
		writeData(w, r, cfg, http.StatusCreated, newCallJSON(call, events))
	})
}

// decodeCreateCall reads {"phone_id": integer, "target_number": string}.
// The target number itself is the call service's to judge.
func decodeCreateCall(w http.ResponseWriter, r *http.Request) (sipsim.CreateCallRequest, error) {
	req := sipsim.CreateCallRequest{AccountID: tokenFrom(r.Context()).AccountID}
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
	if err := o.finish(); err != nil {
		return req, err
	}
	if req.PhoneID <= 0 {
		return req, badRequest("phone_id must be a positive integer")
	}
	return req, nil
}

// handleGetCall returns a call of the account as it stands.
func handleGetCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		v, err := loadCall(r.Context(), cfg, tokenFrom(r.Context()).AccountID, r.PathValue("id"))
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, "Call not found"))
			return
		}
		writeData(w, r, cfg, http.StatusOK, v)
	})
}

func loadCall(ctx context.Context, cfg Config, accountID int64, id string) (callJSON, error) {
	call, err := cfg.Calls.Call(ctx, accountID, id)
	if err != nil {
		return callJSON{}, err
	}
	events, err := cfg.Calls.CallEvents(ctx, accountID, id)
	if err != nil {
		return callJSON{}, err
	}
	return newCallJSON(call, events), nil
}
