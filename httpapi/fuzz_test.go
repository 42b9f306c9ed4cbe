package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// fuzzBody sends body to a route and checks the answer is a well-formed
// envelope of a non-5xx status: whatever the body, decoding must neither
// panic nor reach an internal error.
func fuzzBody(t *testing.T, a *testAPI, method, path, body string) {
	checkFuzzAnswer(t, a.do(t, method, path, tokAll, body), method, path, body)
}

// checkFuzzAnswer checks rec is a well-formed envelope of a non-5xx status.
func checkFuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, method, path, body string) {
	if rec.Code >= 500 {
		t.Fatalf("%s %s with %q = %d: %s", method, path, body, rec.Code, rec.Body)
	}
	var env struct {
		Status    int      `json:"status"`
		Errors    []string `json:"errors"`
		RequestID string   `json:"request_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Status != rec.Code || env.RequestID == "" {
		t.Fatalf("%s %s with %q: bad envelope %s", method, path, body, rec.Body)
	}
	if rec.Code >= 400 && len(env.Errors) == 0 {
		t.Fatalf("%s %s with %q: error without messages", method, path, body)
	}
}

func FuzzCreateCallBody(f *testing.F) {
	for _, s := range []string{
		`{"phone_id": 123, "target_number": "+33698765432"}`,
		`{"phone_id": "123", "target_number": 5}`,
		`{"phone_id": 1e999, "target_number": null, "x": [1, {"y": 2}]}`,
		`{"phone_id": -0, "target_number": "\u0000"}`,
		`{}`, `[]`, `null`, `"x"`, ``, `{"a":`, `{"phone_id": 1}{"phone_id": 2}`,
	} {
		f.Add(s)
	}
	a := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzBody(t, a, http.MethodPost, "/api/v2/calls", body)
	})
}

func FuzzPhoneBody(f *testing.F) {
	for _, s := range []string{
		`{"name": "A", "internal_number": 101, "number": "+33612345678", "sip_password": "12345678"}`,
		`{"name": "A", "internal_number": 101, "number": "06 12 34 56 78", "group": {"group_id": 5, "group_title": "S"}}`,
		`{"outbound_setting": {"outbound_number": null, "outbound_number_phone_id": 3}, "group": null}`,
		`{"forwarding_setting": {"forced": {"enabled": true}, "conditional": {"enabled": true, "timeout_seconds": 9223372036854775807}}}`,
		`{"audio_setting": {"wait_preroll_dial": -9223372036854775808}, "internal_number": 18446744073709551616}`,
		`{"record_setting": {"record_inbound_call": "true"}, "voicemail_setting": []}`,
		`{"id": 1, "registration": null, "status": "active"}`,
		`{}`, `[]`, `null`, ``, `{"name": "\ud800"}`,
	} {
		f.Add(s)
	}
	a := newTestAPI(f)
	a.addPhone(documentPhone())
	f.Fuzz(func(t *testing.T, body string) {
		fuzzBody(t, a, http.MethodPost, "/api/v2/phones", body)
		fuzzBody(t, a, http.MethodPatch, "/api/v2/phones/123", body)
	})
}

// FuzzCallListQuery feeds arbitrary query strings to the calls list: the
// parser either returns a filter that keeps every documented bound or a
// 400 with messages, and the handler never fails otherwise.
func FuzzCallListQuery(f *testing.F) {
	for _, s := range []string{
		"", "status=busy,no_answer&status=failed", "status=,", "phone_id=123&target_number=%2B33698765432",
		"target_number=+33698765432", "tag=%20lead%20&limit=100", "limit=0", "limit=-1&limit=2",
		"created_after=2024-01-01T00:00:00Z&created_before=2024-01-01T00:00:00Z",
		"created_before=2024-02-01T00:00:00+01:00", "ended_reason=target_busy,canceled_via_api",
		"cursor=eyJ0IjoiMjAyNC0wMS0xNVQxMDozMDowMFoiLCJpZCI6ImNhbGxfeHl6Nzg5In0", "cursor=%00", "%zz", "a;b", "status=%ff",
	} {
		f.Add(s)
	}
	a := newTestAPI(f)
	f.Fuzz(func(t *testing.T, raw string) {
		if q, err := url.ParseQuery(raw); err == nil {
			flt, err := parseCallQuery(q)
			if err != nil {
				he, ok := errors.AsType[*httpError](err)
				if !ok || he.status != http.StatusBadRequest || len(he.messages) == 0 {
					t.Fatalf("%q: error %v", raw, err)
				}
			} else {
				checkFilterBounds(t, raw, flt)
			}
		}
		r := httptest.NewRequest(http.MethodGet, "/api/v2/calls", nil)
		r.URL.RawQuery = raw
		r.Header.Set("Authorization", "Bearer "+tokAll)
		checkFuzzAnswer(t, serve(a, r), http.MethodGet, "/api/v2/calls?"+raw, "")
	})
}

func checkFilterBounds(t *testing.T, raw string, f sipsim.CallFilter) {
	switch {
	case f.Limit < 1 || f.Limit > maxCallPage:
		t.Fatalf("%q: limit %d", raw, f.Limit)
	case slices.ContainsFunc(f.Statuses, func(s sipsim.CallStatus) bool { return !s.Valid() }):
		t.Fatalf("%q: statuses %v", raw, f.Statuses)
	case slices.ContainsFunc(f.EndedReasons, func(r sipsim.EndReason) bool { return !slices.Contains(endReasons, r) }):
		t.Fatalf("%q: reasons %v", raw, f.EndedReasons)
	case f.PhoneID < 0, f.TargetNumber != "" && !e164.Valid(f.TargetNumber):
		t.Fatalf("%q: phone %d, number %q", raw, f.PhoneID, f.TargetNumber)
	case utf8.RuneCountInString(f.Tag) > maxTagName:
		t.Fatalf("%q: tag %q", raw, f.Tag)
	case f.CreatedAfter != nil && f.CreatedBefore != nil && !f.CreatedAfter.Before(*f.CreatedBefore):
		t.Fatalf("%q: created %v..%v", raw, f.CreatedAfter, f.CreatedBefore)
	case f.After != nil && f.After.ID == "":
		t.Fatalf("%q: cursor %+v", raw, f.After)
	}
}

// FuzzCursor: any string decodes or is refused, and what decodes encodes
// back to a cursor that decodes the same.
func FuzzCursor(f *testing.F) {
	f.Add("eyJ0IjoiMjAyNC0wMS0xNVQxMDozMDowMFoiLCJpZCI6ImNhbGxfeHl6Nzg5In0")
	f.Add("e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		again, err := decodeCursor(encodeCursor(&sipsim.Call{ID: c.ID, CreatedAt: c.CreatedAt}))
		if err != nil || again.ID != c.ID || !again.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("%q decodes to %+v, which round-trips to %+v, %v", s, c, again, err)
		}
	})
}

func FuzzTagAndWebhookBodies(f *testing.F) {
	for _, s := range []string{
		`{"name": "lead", "color": "#FF8800"}`, `{"name": "", "color": 5}`, `{"id": 1, "name": null}`,
		`{"tag_id": 1}`, `{"tag_id": 1, "name": "lead"}`, `{"tag_id": -9223372036854775808}`,
		`{"url": "https://example.com/h", "event_types": ["call.ended", null], "description": "x"}`,
		`{"url": "http://[::1", "event_types": {}}`, `{"url": "https://example.com", "secret": "s"}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add(s)
	}
	a := newTestAPI(f)
	c, _ := endedCall()
	a.calls.calls[c.ID] = c
	a.addTag(1, "lead")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzBody(t, a, http.MethodPost, "/api/v2/tags", body)
		fuzzBody(t, a, http.MethodPatch, "/api/v2/tags/1", body)
		fuzzBody(t, a, http.MethodPost, "/api/v2/calls/call_done/tags", body)
		fuzzBody(t, a, http.MethodPost, "/api/v2/calls/call_done/hangup", body)
		fuzzBody(t, a, http.MethodPost, "/api/v2/webhooks", body)
	})
}
