package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

// fuzzBody sends body to a route and checks the answer is a well-formed
// envelope of a non-5xx status: whatever the body, decoding must neither
// panic nor reach an internal error.
func fuzzBody(t *testing.T, a *testAPI, method, path, body string) {
	rec := a.do(t, method, path, tokAll, body)
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
