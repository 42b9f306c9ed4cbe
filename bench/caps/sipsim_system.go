package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// Call statuses of GET /api/v2/calls: those of a call still up, and those
// of a call that ended other than completed.
const (
	activeStatuses = "initiating,ringing_agent,dialing_target,in_progress"
	failedStatuses = "busy,no_answer,failed,canceled"
)

// sipsimSystem is a running sipsim with its seeded tenants.
type sipsimSystem struct {
	srv    *rig.Server
	tokens []string
	client *http.Client
}

func (s *sipsimSystem) Name() string     { return "sipsim" }
func (s *sipsimSystem) CallsURL() string { return s.srv.URL("/api/v2/calls") }
func (s *sipsimSystem) PID() int         { return s.srv.PID() }
func (s *sipsimSystem) SIPPort() int     { return s.srv.SIPPort }

// Settle reads every call's final status from the API, off the clock:
// each tenant's calls in an active status until there are none, then
// those that ended other than completed.
func (s *sipsimSystem) Settle(ctx context.Context, limit time.Duration) (map[string]string, error) {
	bad := map[string]string{}
	err := rig.WaitFor(ctx, limit, func() (bool, error) {
		for _, tok := range s.tokens {
			calls, err := s.list(ctx, tok, activeStatuses, 1)
			if err != nil || len(calls) > 0 {
				return false, err
			}
		}
		return true, nil
	})
	statuses := failedStatuses
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		statuses += "," + activeStatuses // calls that never ended fail too
	}
	for _, tok := range s.tokens {
		calls, err := s.list(ctx, tok, statuses, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			bad[c.ID] = c.Status
			if c.EndedReason != "" {
				bad[c.ID] += " (" + c.EndedReason + ")"
			}
		}
	}
	return bad, nil
}

// listedCall is what the benchmark reads of a call in a list.
type listedCall struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	EndedReason string `json:"ended_reason"`
}

// list pages through GET /api/v2/calls?status=statuses, stopping after
// max calls when max > 0.
func (s *sipsimSystem) list(ctx context.Context, token, statuses string, max int) ([]listedCall, error) {
	var calls []listedCall
	cursor := ""
	for {
		q := url.Values{"status": {statuses}, "limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL("/api/v2/calls?"+q.Encode()), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data       []listedCall `json:"data"`
			NextCursor *string      `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /api/v2/calls: %s", resp.Status)
		}
		if err != nil {
			return nil, err
		}
		calls = append(calls, page.Data...)
		if page.NextCursor == nil || *page.NextCursor == "" || (max > 0 && len(calls) >= max) {
			return calls, nil
		}
		cursor = *page.NextCursor
	}
}
