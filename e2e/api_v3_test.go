package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// The objects of issue #3 as a client reads them: tags, webhooks and their
// delivery log, events, and call listings.

type tagView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Color     string `json:"color"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type tagInput struct {
	Name  string `json:"name,omitempty"`
	Color string `json:"color,omitempty"`
}

func (a *apiClient) createTag(name, color string) tagView {
	a.t.Helper()
	var tg tagView
	a.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", tagInput{Name: name, Color: color}, &tg)
	return tg
}

// tagNames lists a call's tag names in the order the API gives them.
func (c callView) tagNames() []string {
	out := []string{}
	for _, tg := range c.Tags {
		out = append(out, tg.Name)
	}
	return out
}

// eventJSON is an event as SSE data lines and webhook bodies carry it.
type eventJSON struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Data      struct {
		Call callView `json:"call"`
	} `json:"data"`
}

type webhookInput struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types,omitempty"`
	Description string   `json:"description,omitempty"`
}

type webhookView struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"created_at"`
	Secret      *string  `json:"secret"`
}

// createWebhook registers url for the given event types (none: all) and
// returns it with its secret, which only this answer shows.
func (a *apiClient) createWebhook(url string, types ...string) (webhookView, string) {
	a.t.Helper()
	var w webhookView
	a.must(http.StatusCreated, http.MethodPost, "/api/v2/webhooks", webhookInput{URL: url, EventTypes: types, Description: "e2e receiver"}, &w)
	if w.ID == 0 || w.Secret == nil || len(*w.Secret) <= len("whsec_") || (*w.Secret)[:6] != "whsec_" {
		a.t.Fatalf("POST /api/v2/webhooks = id %d secret %v; want an id and a whsec_… secret", w.ID, w.Secret)
	}
	return w, *w.Secret
}

type deliveryView struct {
	ID            int64         `json:"id"`
	EventID       int64         `json:"event_id"`
	EventType     string        `json:"event_type"`
	Status        string        `json:"status"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt *string       `json:"next_attempt_at"`
	CreatedAt     string        `json:"created_at"`
	UpdatedAt     string        `json:"updated_at"`
	AttemptLog    []attemptView `json:"attempt_log"`
}

type attemptView struct {
	Attempt      int     `json:"attempt"`
	At           string  `json:"at"`
	StatusCode   *int    `json:"status_code"`
	Error        *string `json:"error"`
	ResponseBody string  `json:"response_body"`
	DurationMS   int64   `json:"duration_ms"`
}

func (a *apiClient) deliveries(webhookID int64) []deliveryView {
	a.t.Helper()
	var ds []deliveryView
	a.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/webhooks/%d/deliveries?limit=100", webhookID), nil, &ds)
	return ds
}

func (d deliveryView) String() string {
	s := fmt.Sprintf("delivery %d event %d %s %s attempts=%d:", d.ID, d.EventID, d.EventType, d.Status, d.Attempts)
	for _, at := range d.AttemptLog {
		code, msg := "-", ""
		if at.StatusCode != nil {
			code = fmt.Sprint(*at.StatusCode)
		}
		if at.Error != nil {
			msg = " " + *at.Error
		}
		s += fmt.Sprintf(" [#%d %s%s]", at.Attempt, code, msg)
	}
	return s
}

// listCalls is GET /api/v2/calls with a query; it returns the page and
// the next cursor ("" for none).
func (a *apiClient) listCalls(q url.Values) ([]callView, string) {
	a.t.Helper()
	path := "/api/v2/calls"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	code, env := a.do(http.MethodGet, path, nil)
	if code != http.StatusOK {
		a.t.Fatalf("GET %s = %d %v, want 200", path, code, env.Errors)
	}
	var page []callView
	mustUnmarshal(a.t, env.Data, &page)
	if page == nil {
		a.t.Fatalf("GET %s: data = %s, want an array", path, env.Data)
	}
	next := ""
	if env.NextCursor != nil {
		next = *env.NextCursor
	}
	return page, next
}

// callIDs lists the ids of calls in their order.
func callIDs(cs []callView) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// eventIDs lists the ids of a call's timeline.
func (c callView) eventIDs() []int64 {
	var out []int64
	for _, e := range c.Events {
		out = append(out, e.ID)
	}
	return out
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
