package client

import (
	"context"
	"net/http"
	"net/url"
)

const webhooksPath = "/api/v2/webhooks"

// WebhookParams is the body of CreateWebhook.
type WebhookParams struct {
	URL string `json:"url"` // absolute http(s) URL receiving POSTs
	// EventTypes to send, e.g. {"call.ended"}; empty for every type.
	EventTypes  []string `json:"event_types,omitempty"`
	Description string   `json:"description,omitempty"`
}

// CreateWebhook registers an endpoint for signed events (scope
// webhooks.write). The returned Secret is shown this once: keep it to
// check deliveries with VerifyWebhook.
func (c *Client) CreateWebhook(ctx context.Context, p WebhookParams) (*Webhook, error) {
	var out Webhook
	if _, err := c.do(ctx, request{method: http.MethodPost, path: webhooksPath, body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListWebhooks lists the account's webhooks, without secrets
// (webhooks.read).
func (c *Client) ListWebhooks(ctx context.Context) ([]*Webhook, error) {
	var out []*Webhook
	_, err := c.do(ctx, request{method: http.MethodGet, path: webhooksPath}, &out)
	return out, err
}

// GetWebhook returns one webhook, without its secret (webhooks.read).
func (c *Client) GetWebhook(ctx context.Context, id int64) (*Webhook, error) {
	var out Webhook
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath(webhooksPath, id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteWebhook removes a webhook and its pending deliveries
// (webhooks.write).
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: idPath(webhooksPath, id)}, nil)
	return err
}

// DeliveriesParams pages WebhookDeliveries.
type DeliveriesParams struct {
	Limit int // 0 for the server's default
}

// WebhookDeliveries returns a webhook's newest deliveries with every
// attempt and the endpoint's answers (webhooks.read): the log to read
// when a receiver says it missed an event.
func (c *Client) WebhookDeliveries(ctx context.Context, webhookID int64, p DeliveriesParams) ([]*Delivery, error) {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", itoa(int64(p.Limit)))
	}
	var out []*Delivery
	_, err := c.do(ctx, request{method: http.MethodGet, path: idPath(webhooksPath, webhookID) + "/deliveries", query: q}, &out)
	return out, err
}
