package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// allScopes is what the e2e token may do.
const allScopes = "calls.create,phones.read,phones.write,calls.read,calls.write,webhooks.read,webhooks.write"

// apiClient speaks the public REST API with one bearer token.
type apiClient struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newAPIClient(t testing.TB, s *server, token string) *apiClient {
	return &apiClient{t: t, base: s.URL(""), token: token, http: &http.Client{Timeout: 15 * time.Second}}
}

// envelope is every API answer: data on success, errors and path on error.
type envelope struct {
	Status    int             `json:"status"`
	RequestID string          `json:"request_id"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
	Errors    []string        `json:"errors"`
	Path      string          `json:"path"`
	// CallID names the call a 409 is about (double click, busy phone).
	CallID string `json:"call_id"`
	// NextCursor is set on list answers: the next page, or null.
	NextCursor *string `json:"next_cursor"`
}

// send makes one request; it does not touch t, so goroutines may use it.
func (a *apiClient) send(method, path string, body any) (int, envelope, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, envelope{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, envelope{}, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, envelope{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, envelope{}, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return resp.StatusCode, envelope{}, fmt.Errorf("%s %s: answer is not a JSON envelope: %v: %s", method, path, err, raw)
	}
	return resp.StatusCode, env, nil
}

// do is send for the test goroutine: a transport error fails the test.
func (a *apiClient) do(method, path string, body any) (int, envelope) {
	a.t.Helper()
	code, env, err := a.send(method, path, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, env
}

// must expects the given HTTP status and decodes data into out.
func (a *apiClient) must(want int, method, path string, body, out any) {
	a.t.Helper()
	code, env := a.do(method, path, body)
	if code != want {
		a.t.Fatalf("%s %s = %d %v, want %d", method, path, code, env.Errors, want)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			a.t.Fatalf("%s %s: data: %v: %s", method, path, err, env.Data)
		}
	}
}

// phoneInput is the body of POST /api/v2/phones.
type phoneInput struct {
	Name           string `json:"name"`
	InternalNumber int    `json:"internal_number"`
	Number         string `json:"number"`
	SIPPassword    string `json:"sip_password"`
}

// phoneView is the part of the Phone object these tests read.
type phoneView struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Status         string `json:"status"`
	InternalNumber int    `json:"internal_number"`
	Number         string `json:"number"`
	SIPDomain      string `json:"sip_domain"`
	Registration   struct {
		Status   string `json:"status"`
		Contacts int    `json:"contacts"`
	} `json:"registration"`
}

func (a *apiClient) createPhone(in phoneInput) phoneView {
	a.t.Helper()
	var p phoneView
	a.must(http.StatusCreated, http.MethodPost, "/api/v2/phones", in, &p)
	if p.ID == 0 {
		a.t.Fatalf("POST /api/v2/phones returned no id")
	}
	return p
}

func (a *apiClient) phone(id int64) phoneView {
	a.t.Helper()
	var p phoneView
	a.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/phones/%d", id), nil, &p)
	return p
}

// callInput is the body of POST /api/v2/calls.
type callInput struct {
	PhoneID      int64  `json:"phone_id"`
	TargetNumber string `json:"target_number"`
}

// callView is the Call object as GET /api/v2/calls/{id} shows it.
type callView struct {
	ID           string      `json:"id"`
	PhoneID      int64       `json:"phone_id"`
	TargetNumber string      `json:"target_number"`
	CallerID     string      `json:"caller_id"`
	Status       string      `json:"status"`
	EndedReason  *string     `json:"ended_reason"`
	CreatedAt    string      `json:"created_at"`
	AgentLeg     legView     `json:"agent_leg"`
	TargetLeg    legView     `json:"target_leg"`
	Events       []eventView `json:"events"`
	EventsURL    string      `json:"events_url"`
	Tags         []tagView   `json:"tags"`
}

type legView struct {
	Status      string  `json:"status"`
	SIPCode     *int    `json:"sip_code"`
	Contact     *string `json:"contact"`
	ForwardedTo *string `json:"forwarded_to"`
	AnsweredBy  *string `json:"answered_by"`
	StartedAt   *string `json:"started_at"`
	AnsweredAt  *string `json:"answered_at"`
}

type eventView struct {
	ID     int64  `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	At     string `json:"at"`
}

func (c callView) reason() string {
	if c.EndedReason == nil {
		return ""
	}
	return *c.EndedReason
}

func (l legView) code() int {
	if l.SIPCode == nil {
		return 0
	}
	return *l.SIPCode
}

// eventTypes and eventStatuses are the call's timeline, oldest first.
func (c callView) eventTypes() []string {
	var out []string
	for _, e := range c.Events {
		out = append(out, e.Type)
	}
	return out
}

func (c callView) eventStatuses() []string {
	var out []string
	for _, e := range c.Events {
		out = append(out, e.Status)
	}
	return out
}

func (a *apiClient) createCall(phoneID int64, target string) callView {
	a.t.Helper()
	var c callView
	a.must(http.StatusCreated, http.MethodPost, "/api/v2/calls", callInput{phoneID, target}, &c)
	return c
}

func (a *apiClient) call(id string) callView {
	a.t.Helper()
	var c callView
	a.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+id, nil, &c)
	return c
}

func mustUnmarshal(t testing.TB, raw json.RawMessage, out any) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
