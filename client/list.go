package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// ListCallsParams filters and pages ListCalls. Zero fields do not filter.
type ListCallsParams struct {
	Statuses      []CallStatus // any of
	PhoneID       int64
	TargetNumber  string // E.164
	Tag           string // tag name
	CreatedAfter  time.Time
	CreatedBefore time.Time
	EndedReasons  []EndReason // any of
	Limit         int         // page size, 1–100; 0 for the server's default (25)
	Cursor        string      // CallPage.NextCursor of the previous page
}

// query encodes p as the API's query parameters.
func (p ListCallsParams) query() url.Values {
	q := url.Values{}
	for _, s := range p.Statuses {
		q.Add("status", string(s))
	}
	if p.PhoneID != 0 {
		q.Set("phone_id", itoa(p.PhoneID))
	}
	if p.TargetNumber != "" {
		q.Set("target_number", p.TargetNumber)
	}
	if p.Tag != "" {
		q.Set("tag", p.Tag)
	}
	if !p.CreatedAfter.IsZero() {
		q.Set("created_after", p.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if !p.CreatedBefore.IsZero() {
		q.Set("created_before", p.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
	for _, r := range p.EndedReasons {
		q.Add("ended_reason", string(r))
	}
	if p.Limit != 0 {
		q.Set("limit", itoa(int64(p.Limit)))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// CallPage is one page of calls, newest first. Lists carry no timelines
// (Events is empty): GetCall a call for its events.
type CallPage struct {
	Calls []*Call
	// NextCursor continues the listing (ListCallsParams.Cursor); "" on
	// the last page. Pages stay stable while new calls arrive.
	NextCursor string
}

// ListCalls returns one page of the account's calls, newest first (scope
// calls.read). IsInvalid names a refused filter.
func (c *Client) ListCalls(ctx context.Context, p ListCallsParams) (*CallPage, error) {
	var calls []*Call
	env, err := c.do(ctx, request{method: http.MethodGet, path: callsPath, query: p.query()}, &calls)
	if err != nil {
		return nil, err
	}
	page := &CallPage{Calls: calls}
	if env.NextCursor != nil {
		page.NextCursor = *env.NextCursor
	}
	return page, nil
}

// AllCalls yields every call matching p, newest first, fetching pages of
// p.Limit as it goes. An error is yielded once and ends the sequence.
func (c *Client) AllCalls(ctx context.Context, p ListCallsParams) iter.Seq2[*Call, error] {
	return func(yield func(*Call, error) bool) {
		for {
			page, err := c.ListCalls(ctx, p)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, call := range page.Calls {
				if !yield(call, nil) {
					return
				}
			}
			if page.NextCursor == "" || len(page.Calls) == 0 {
				return
			}
			p.Cursor = page.NextCursor
		}
	}
}
