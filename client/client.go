package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultUserAgent names the SDK in the server's logs.
const defaultUserAgent = "sipsim-go"

// maxResponseBytes bounds a response body read into memory. The API's
// largest answers (a page of 100 calls) are far below it.
const maxResponseBytes = 16 << 20

// Client calls the SIPSIM REST API with one bearer token. It is safe for
// concurrent use.
type Client struct {
	base      string // scheme://host[:port], no trailing slash
	token     string
	http      *http.Client
	userAgent string

	// sleep waits d or until ctx ends; tests replace it so that retry and
	// reconnect delays cost no time.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock of webhook signature checks.
	now func() time.Time
	// streamIdle is how long an event stream may stay silent before it is
	// taken for dead and reconnected. The server sends a comment every
	// 15 s, so three missed ones mean the connection is gone even if no
	// error reached us (a NAT dropped it, a proxy hung).
	streamIdle time.Duration
	// reconnect paces event stream reconnections.
	reconnect Backoff
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc instead of a client of its
// own. A Timeout on hc also cuts event streams, which then reconnect:
// prefer context deadlines.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithUserAgent sets the User-Agent header, e.g. "my-crm/1.2".
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the API at baseURL (e.g. "http://127.0.0.1:8080";
// a trailing slash or "/api/v2" suffix is ignored) using token.
func New(baseURL, token string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, "/api/v2")
	c := &Client{
		base:       base,
		token:      token,
		http:       defaultHTTPClient(),
		userAgent:  defaultUserAgent,
		sleep:      sleepContext,
		now:        time.Now,
		streamIdle: 45 * time.Second,
		reconnect:  Backoff{Initial: 500 * time.Millisecond, Max: 15 * time.Second},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// defaultHTTPClient has no overall timeout, which would cut event
// streams, but gives up on a server that accepts a connection and never
// answers. The slowest answer of the API is a hang-up, which waits up to
// 5 s for the call to end.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

// sleepContext waits d, or less if ctx ends first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one API call before it is sent.
type request struct {
	method string
	path   string // starting with /api/v2
	query  url.Values
	body   any // JSON-encoded when not nil
	header http.Header
}

// newHTTPRequest builds the HTTP request of r.
func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("sipsim: encode %s %s body: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("sipsim: %w", err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// envelope is the success answer: data, and next_cursor for lists.
type envelope struct {
	Status     int             `json:"status"`
	RequestID  string          `json:"request_id"`
	Data       json.RawMessage `json:"data"`
	NextCursor *string         `json:"next_cursor"`
}

// do sends r and decodes the data of a 2xx answer into out (when not nil).
// Any other answer is an *Error.
func (c *Client) do(ctx context.Context, r request, out any) (*envelope, error) {
	req, err := c.newHTTPRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sipsim: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("sipsim: %s %s: read answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(r.method, r.path, resp, raw)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("sipsim: %s %s: answer %d is not a JSON envelope: %w", r.method, r.path, resp.StatusCode, err)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return nil, fmt.Errorf("sipsim: %s %s: decode data: %w", r.method, r.path, err)
		}
	}
	return &env, nil
}

// Deleted is the answer to a DELETE of a phone, tag or webhook.
type Deleted struct {
	ID      int64 `json:"id"`
	Deleted bool  `json:"deleted"`
}

// idPath is a resource path with an escaped id.
func idPath(prefix string, id any) string {
	return prefix + "/" + url.PathEscape(fmt.Sprint(id))
}
