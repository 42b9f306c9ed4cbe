package client

import (
	"context"
	"net/http"
	"net/url"
)

const callsPath = "/api/v2/calls"

// CreateCallParams is a click-to-call order.
type CreateCallParams struct {
	PhoneID      int64  // the employee's phone, rung first
	TargetNumber string // E.164, dialled once the employee answers
	// IdempotencyKey (1–255 printable ASCII characters), when set, makes
	// a retried request replay the first answer instead of placing a
	// second call: use one key per click, e.g. a UUID made by the button.
	IdempotencyKey string
}

// CreateCall places a click-to-call (scope calls.create): the phone rings,
// then the target is dialled. It returns as soon as the call is accepted
// (status "initiating"); follow it with FollowCall or Call.EventsURL.
//
// Errors: IsInvalidNumber, IsNotFound (unknown phone), IsUnprocessable
// (phone not active or not registered), IsBusy (the phone is on another
// call), IsDuplicateCall (the same call was placed seconds ago). With the
// RetryOnBusy option a busy phone is retried after a wait.
func (c *Client) CreateCall(ctx context.Context, p CreateCallParams, opts ...CallOption) (*Call, error) {
	var cfg callConfig
	for _, o := range opts {
		o(&cfg)
	}
	body := struct {
		PhoneID      int64  `json:"phone_id"`
		TargetNumber string `json:"target_number"`
	}{p.PhoneID, p.TargetNumber}
	for attempt := 0; ; attempt++ {
		r := request{method: http.MethodPost, path: callsPath, body: body}
		if p.IdempotencyKey != "" {
			r.header = http.Header{"Idempotency-Key": {retryKey(p.IdempotencyKey, attempt)}}
		}
		var out Call
		_, err := c.do(ctx, r, &out)
		if err == nil {
			return &out, nil
		}
		if cfg.busy == nil || !IsBusy(err) || attempt >= cfg.busy.Attempts {
			return nil, err
		}
		if err := c.sleep(ctx, cfg.busy.delay(attempt+1)); err != nil {
			return nil, err
		}
	}
}

// GetCall returns a call as it stands, with both legs, its tags and its
// timeline (calls.read). IsNotFound for an unknown id.
func (c *Client) GetCall(ctx context.Context, id string) (*Call, error) {
	var out Call
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath(callsPath, id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HangUp cancels a ringing call or hangs up an established one (scope
// calls.write); the call ends canceled or completed with reason
// canceled_via_api. The returned call is as it stands after hanging up.
// Hanging up a call that is over returns it unchanged.
func (c *Client) HangUp(ctx context.Context, id string) (*Call, error) {
	var out Call
	if _, err := c.do(ctx, request{method: http.MethodPost, path: idPath(callsPath, id) + "/hangup"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TagCall puts a tag on a call (calls.write) and returns the call.
func (c *Client) TagCall(ctx context.Context, callID string, tagID int64) (*Call, error) {
	return c.tagCall(ctx, callID, map[string]any{"tag_id": tagID})
}

// TagCallByName puts the tag with this name on a call (calls.write);
// IsNotFound when no tag has the name.
func (c *Client) TagCallByName(ctx context.Context, callID, name string) (*Call, error) {
	return c.tagCall(ctx, callID, map[string]any{"name": name})
}

func (c *Client) tagCall(ctx context.Context, callID string, body map[string]any) (*Call, error) {
	var out Call
	if _, err := c.do(ctx, request{method: http.MethodPost, path: idPath(callsPath, callID) + "/tags", body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UntagCall takes a tag off a call (calls.write) and returns the call.
func (c *Client) UntagCall(ctx context.Context, callID string, tagID int64) (*Call, error) {
	var out Call
	path := idPath(callsPath, callID) + "/tags/" + url.PathEscape(itoa(tagID))
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: path}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
