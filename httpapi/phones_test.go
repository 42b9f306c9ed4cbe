package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

func ptr[T any](v T) *T { return &v }

// documentPhone is the phone of the API document's example.
func documentPhone() *sipsim.Phone {
	return &sipsim.Phone{
		ID: 123, AccountID: 1, Name: "Sales Department Phone", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR",
		CreatedAt:        time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC),
		UpdatedAt:        time.Date(2024, 6, 20, 14, 45, 0, 0, time.UTC),
		Group:            &sipsim.PhoneGroup{GroupID: 5, GroupTitle: "Sales Team"},
		OutboundSetting:  sipsim.OutboundSetting{OutboundNumber: ptr("+33987654321")},
		RecordSetting:    sipsim.RecordSetting{RecordInboundCall: true, RecordOutboundCall: true},
		VoicemailSetting: sipsim.VoicemailSetting{AllowVoicemail: true},
		ForwardingSetting: sipsim.ForwardingSetting{
			Conditional: sipsim.ConditionalForwarding{Enabled: true, TimeoutSeconds: 25, ForwardNumber: ptr("+33555888999")},
		},
		SIPRealm: testRealm, SIPHA1MD5: "md5", SIPHA1SHA256: "sha",
	}
}

// documentPhoneJSON is the document's Phone object plus the read-only
// extras this server adds.
const documentPhoneJSON = `{
  "id": 123,
  "name": "Sales Department Phone",
  "status": "active",
  "internal_number": 101,
  "number": "+33612345678",
  "created_at": "2024-01-15T10:30:00Z",
  "updated_at": "2024-06-20T14:45:00Z",
  "group": {"group_id": 5, "group_title": "Sales Team"},
  "outbound_setting": {"outbound_number": "+33987654321", "use_different_outbound_number": false, "outbound_number_phone_id": null},
  "record_setting": {"record_inbound_call": true, "record_outbound_call": true},
  "voicemail_setting": {"allow_voicemail": true, "voicemail_file_id": null},
  "forwarding_setting": {
    "forced": {"enabled": false, "forward_number": null},
    "conditional": {"enabled": true, "timeout_seconds": 25, "forward_number": "+33555888999"}
  },
  "audio_setting": {"inbound_call_preroll_id": null, "outbound_call_preroll_id": null, "no_answer_file_id": null, "wait_preroll_dial": 0},
  "sip_username": "101",
  "sip_domain": "sipsim.test",
  "registration": {"status": "registered", "contacts": 2}
}`

func (a *testAPI) addPhone(p *sipsim.Phone) {
	a.phones.phones[p.ID] = p
	if p.ID >= a.phones.nextID {
		a.phones.nextID = p.ID + 1
	}
}

func (a *testAPI) register(phoneID int64, contacts ...string) {
	for _, c := range contacts {
		a.regs.byPhone[phoneID] = append(a.regs.byPhone[phoneID],
			&sipsim.Registration{PhoneID: phoneID, Contact: c, ExpiresAt: testNow.Add(time.Hour)})
	}
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestGetPhoneIsTheDocumentObject(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	a.register(123, "sip:101@192.0.2.1:5060", "sip:101@192.0.2.2:5062")
	// An expired binding does not count.
	a.regs.byPhone[123] = append(a.regs.byPhone[123], &sipsim.Registration{PhoneID: 123, Contact: "sip:old", ExpiresAt: testNow.Add(-time.Second)})

	var data json.RawMessage
	checkData(t, a.do(t, http.MethodGet, "/api/v2/phones/123", scopeToken(sipsim.ScopePhonesRead), ""), http.StatusOK, &data)
	jsonEqual(t, data, documentPhoneJSON)
	for _, secret := range []string{"md5", "sha", "password", "ha1"} {
		if strings.Contains(strings.ToLower(string(data)), `"`+secret) {
			t.Errorf("phone JSON exposes %q: %s", secret, data)
		}
	}
}

func TestGetPhoneErrors(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	tests := []struct {
		path   string
		token  string
		status int
		msg    string
	}{
		{"/api/v2/phones/abc", tokAll, 400, "id must be a positive integer"},
		{"/api/v2/phones/0", tokAll, 400, "id must be a positive integer"},
		{"/api/v2/phones/99999999999999999999", tokAll, 400, "id must be a positive integer"},
		{"/api/v2/phones/123?expand=all", tokAll, 400, `unknown query parameter "expand"`},
		{"/api/v2/phones/124", tokAll, 404, "Phone not found"},
		{"/api/v2/phones/123", tokOther, 404, "Phone not found"}, // another account's phone
	}
	for _, tt := range tests {
		rec := a.do(t, http.MethodGet, tt.path, tt.token, "")
		checkErrorMessage(t, rec, tt.status, strings.Split(tt.path, "?")[0], tt.msg)
	}
}

func TestGetPhoneRegistrationLookupFails(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	a.regs.err = sipsim.Errorf(sipsim.EUNAVAILABLE, "Registrations are unavailable")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/phones/123", tokAll, ""), 503, "/api/v2/phones/123", "Registrations are unavailable")
}

func TestListPhones(t *testing.T) {
	a := newTestAPI(t)
	var data []map[string]any
	checkData(t, a.do(t, http.MethodGet, "/api/v2/phones", tokAll, ""), http.StatusOK, &data)
	if data == nil || len(data) != 0 {
		t.Fatalf("empty list = %v, want []", data)
	}

	p1 := documentPhone()
	p2 := documentPhone()
	p2.ID, p2.InternalNumber, p2.Number, p2.Status = 124, 102, "+33612345679", sipsim.PhoneInactive
	a.addPhone(p1)
	a.addPhone(p2)
	a.register(124, "sip:102@192.0.2.3")

	checkData(t, a.do(t, http.MethodGet, "/api/v2/phones", tokAll, ""), http.StatusOK, &data)
	if len(data) != 2 || data[0]["id"] != 123.0 || data[1]["id"] != 124.0 {
		t.Fatalf("list = %v", data)
	}
	if reg := data[1]["registration"].(map[string]any); reg["status"] != "registered" || reg["contacts"] != 1.0 {
		t.Errorf("registration of 124 = %v", reg)
	}

	checkData(t, a.do(t, http.MethodGet, "/api/v2/phones?status=active", tokAll, ""), http.StatusOK, &data)
	if a.phones.lastF.Status == nil || *a.phones.lastF.Status != sipsim.PhoneActive || a.phones.lastF.AccountID != 1 {
		t.Errorf("filter sent to the store = %+v", a.phones.lastF)
	}
	if len(data) != 1 || data[0]["id"] != 123.0 {
		t.Errorf("active phones = %v", data)
	}

	// Another account sees none of them.
	checkData(t, a.do(t, http.MethodGet, "/api/v2/phones", tokOther, ""), http.StatusOK, &data)
	if len(data) != 0 {
		t.Errorf("account 2 sees %v", data)
	}
}

func TestListPhonesBadQuery(t *testing.T) {
	a := newTestAPI(t)
	tests := []struct{ query, msg string }{
		{"status=enabled", "status must be one of not_activated, active, inactive"},
		{"status=", "status must be one of not_activated, active, inactive"},
		{"status=ACTIVE", "status must be one of not_activated, active, inactive"},
		{"status=active&status=inactive", "status must be one of not_activated, active, inactive"},
		{"stauts=active", `unknown query parameter "stauts"`},
		{"page=2&status=active", `unknown query parameter "page"`},
		{"status=%zz", "query string is malformed"},
	}
	for _, tt := range tests {
		rec := a.do(t, http.MethodGet, "/api/v2/phones?"+tt.query, tokAll, "")
		checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/phones", tt.msg)
	}
}

func TestListPhonesStoreFailure(t *testing.T) {
	a := newTestAPI(t)
	a.phones.err = sipsim.Errorf(sipsim.EUNAVAILABLE, "Database is unavailable")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/phones", tokAll, ""), 503, "/api/v2/phones", "Database is unavailable")
}

func TestCreatePhoneWithPassword(t *testing.T) {
	a := newTestAPI(t)
	body := `{"name": "  Sales  ", "internal_number": 101, "number": "+33612345678", "sip_password": "s3cret-pass",
		"group": {"group_id": 5, "group_title": "Sales Team"},
		"forwarding_setting": {"conditional": {"enabled": true, "forward_number": "+33555888999"}}}`
	rec := a.do(t, http.MethodPost, "/api/v2/phones", scopeToken(sipsim.ScopePhonesWrite), body)
	var data map[string]any
	checkData(t, rec, http.StatusCreated, &data)
	if got := rec.Header().Get("Location"); got != "/api/v2/phones/1" {
		t.Errorf("Location = %q", got)
	}
	if data["id"] != 1.0 || data["status"] != "active" || data["name"] != "Sales" || data["sip_username"] != "101" || data["sip_domain"] != testRealm {
		t.Errorf("created = %v", data)
	}
	if strings.Contains(rec.Body.String(), "s3cret") {
		t.Errorf("password returned: %s", rec.Body)
	}
	cond := data["forwarding_setting"].(map[string]any)["conditional"].(map[string]any)
	if cond["timeout_seconds"] != 25.0 || cond["enabled"] != true {
		t.Errorf("conditional forwarding = %v", cond)
	}

	stored := a.phones.phones[1]
	md5, sha := sipsim.DigestHA1("101", testRealm, "s3cret-pass")
	if stored.SIPHA1MD5 != md5 || stored.SIPHA1SHA256 != sha || stored.SIPRealm != testRealm {
		t.Errorf("stored credentials = %q %q %q", stored.SIPRealm, stored.SIPHA1MD5, stored.SIPHA1SHA256)
	}
	if stored.Country != "FR" || stored.AccountID != 1 {
		t.Errorf("stored country %q account %d", stored.Country, stored.AccountID)
	}
}

func TestCreatePhoneStatusDefaults(t *testing.T) {
	tests := []struct {
		body   string
		status sipsim.PhoneStatus
	}{
		{`{"name": "A", "internal_number": 101, "number": "+33612345678"}`, sipsim.PhoneNotActivated},
		{`{"name": "A", "internal_number": 101, "number": "+33612345678", "sip_password": "12345678"}`, sipsim.PhoneActive},
		{`{"name": "A", "internal_number": 101, "number": "+33612345678", "sip_password": "12345678", "status": "inactive"}`, sipsim.PhoneInactive},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		var data struct{ Status sipsim.PhoneStatus }
		checkData(t, a.do(t, http.MethodPost, "/api/v2/phones", tokAll, tt.body), http.StatusCreated, &data)
		if data.Status != tt.status {
			t.Errorf("%s: status = %q, want %q", tt.body, data.Status, tt.status)
		}
	}
}

func TestCreatePhoneInvalid(t *testing.T) {
	const valid = `"name": "A", "internal_number": 101, "number": "+33612345678"`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty object", `{}`, []string{"name is required", "internal_number is required", "number is required"}},
		{"array", `[]`, []string{"request body must be a JSON object"}},
		{"null", `null`, []string{"request body must be a JSON object"}},
		{"empty body", ``, []string{"request body must be a JSON object"}},
		{"truncated", `{"name": "A"`, []string{"request body must be a JSON object"}},
		{"trailing data", `{` + valid + `} {}`, []string{"request body must be a JSON object"}},
		{"wrong types", `{"name": 5, "internal_number": "101", "number": null}`,
			[]string{"name must be a string", "internal_number must be an integer", "number must be a string"}},
		{"fractional number", `{"name": "A", "internal_number": 101.5, "number": "+33612345678"}`, []string{"internal_number must be an integer"}},
		{"unknown field", `{` + valid + `, "extension": 5}`, []string{`unknown field "extension"`}},
		{"nested unknown field", `{` + valid + `, "outbound_setting": {"caller_id": "+33612345678"}}`, []string{`unknown field "outbound_setting.caller_id"`}},
		{"read-only field", `{` + valid + `, "id": 7, "registration": {}}`, []string{"id is read-only", "registration is read-only"}},
		{"internal number range", `{"name": "A", "internal_number": 99, "number": "+33612345678"}`, []string{"internal_number must be between 100 and 999"}},
		{"internal number too big", `{"name": "A", "internal_number": 1000, "number": "+33612345678"}`, []string{"internal_number must be between 100 and 999"}},
		{"blank name", `{"name": "  ", "internal_number": 101, "number": "+33612345678"}`, []string{"name must not be empty"}},
		{"long name", `{"name": "` + strings.Repeat("x", 256) + `", "internal_number": 101, "number": "+33612345678"}`, []string{"name must be at most 255 characters"}},
		{"national number", `{"name": "A", "internal_number": 101, "number": "0612345678"}`,
			[]string{"number is invalid: use E.164 format (+, country code, number, no spaces), e.g. +33612345678"}},
		{"spaced international number", `{"name": "A", "internal_number": 101, "number": "+33 6 12 34 56 78"}`,
			[]string{"number is invalid: use E.164 format, e.g. +33612345678"}},
		{"bad status", `{` + valid + `, "status": "enabled"}`, []string{"status must be one of not_activated, active, inactive"}},
		{"active without password", `{` + valid + `, "status": "active"}`, []string{"sip_password is required to activate a phone"}},
		{"short password", `{` + valid + `, "sip_password": "1234567"}`, []string{"sip_password must be at least 8 characters"}},
		{"long password", `{` + valid + `, "sip_password": "` + strings.Repeat("p", 129) + `"}`, []string{"sip_password must be at most 128 characters"}},
		{"null password", `{` + valid + `, "sip_password": null}`, []string{"sip_password must be a string"}},
		{"setting not an object", `{` + valid + `, "record_setting": true}`, []string{"record_setting must be an object"}},
		{"setting null", `{` + valid + `, "audio_setting": null}`, []string{"audio_setting must be an object"}},
		{"group wrong type", `{` + valid + `, "group": 5}`, []string{"group must be an object or null"}},
		{"group incomplete", `{` + valid + `, "group": {"group_id": 5}}`, []string{"group.group_title must not be empty"}},
		{"bad outbound number", `{` + valid + `, "outbound_setting": {"outbound_number": "06 98 76 54 32"}}`,
			[]string{"outbound_setting.outbound_number is invalid: use E.164 format, e.g. +33698765432"}},
		{"outbound number wrong type", `{` + valid + `, "outbound_setting": {"outbound_number": 33612345678}}`,
			[]string{"outbound_setting.outbound_number must be a string or null"}},
		{"outbound phone id", `{` + valid + `, "outbound_setting": {"use_different_outbound_number": true, "outbound_number_phone_id": 0}}`,
			[]string{"outbound_setting.outbound_number_phone_id must be a positive integer or null"}},
		{"boolean as string", `{` + valid + `, "record_setting": {"record_inbound_call": "yes"}}`,
			[]string{"record_setting.record_inbound_call must be a boolean"}},
		{"forced without number", `{` + valid + `, "forwarding_setting": {"forced": {"enabled": true}}}`,
			[]string{"forwarding_setting.forced.forward_number is required when forced forwarding is enabled"}},
		{"forward number", `{` + valid + `, "forwarding_setting": {"forced": {"forward_number": "+1"}}}`,
			[]string{"forwarding_setting.forced.forward_number is invalid: use E.164 format (+, country code, number, no spaces), e.g. +33612345678"}},
		{"timeout too short", `{` + valid + `, "forwarding_setting": {"conditional": {"enabled": true, "timeout_seconds": 4, "forward_number": "+33555888999"}}}`,
			[]string{"forwarding_setting.conditional.timeout_seconds must be between 5 and 300"}},
		{"timeout too long", `{` + valid + `, "forwarding_setting": {"conditional": {"enabled": true, "timeout_seconds": 301, "forward_number": "+33555888999"}}}`,
			[]string{"forwarding_setting.conditional.timeout_seconds must be between 5 and 300"}},
		{"conditional forwarding without a number", `{` + valid + `, "forwarding_setting": {"conditional": {"enabled": true}}}`,
			[]string{"forwarding_setting.conditional.forward_number is required when conditional forwarding is enabled"}},
		{"timeout wrong type", `{` + valid + `, "forwarding_setting": {"conditional": {"timeout_seconds": "25"}}}`,
			[]string{"forwarding_setting.conditional.timeout_seconds must be an integer"}},
		{"file id", `{` + valid + `, "voicemail_setting": {"voicemail_file_id": -1}}`,
			[]string{"voicemail_setting.voicemail_file_id must be a positive integer or null"}},
		{"wait preroll", `{` + valid + `, "audio_setting": {"wait_preroll_dial": -1}}`,
			[]string{"audio_setting.wait_preroll_dial must not be negative"}},
		{"different outbound number without a phone", `{` + valid + `, "outbound_setting": {"use_different_outbound_number": true}}`,
			[]string{"outbound_setting.outbound_number_phone_id is required when use_different_outbound_number is true"}},
		{"two caller IDs", `{` + valid + `, "outbound_setting": {"outbound_number": "+33987654321", "use_different_outbound_number": true, "outbound_number_phone_id": 123}}`,
			[]string{"outbound_setting.outbound_number must be null when use_different_outbound_number is true: the caller ID is then phone outbound_number_phone_id's number"}},
		{"outbound phone without the switch", `{` + valid + `, "outbound_setting": {"outbound_number_phone_id": 123}}`,
			[]string{"outbound_setting.outbound_number_phone_id must be null unless use_different_outbound_number is true"}},
		{"outbound phone unknown", `{` + valid + `, "outbound_setting": {"use_different_outbound_number": true, "outbound_number_phone_id": 999}}`,
			[]string{"outbound_setting.outbound_number_phone_id: phone 999 not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t)
			rec := a.do(t, http.MethodPost, "/api/v2/phones", tokAll, tt.body)
			errs := checkError(t, rec, http.StatusBadRequest, "/api/v2/phones")
			if !slices.Equal(errs, tt.want) {
				t.Errorf("errors = %q\nwant     %q", errs, tt.want)
			}
			if len(a.phones.phones) != 0 {
				t.Error("an invalid phone was stored")
			}
		})
	}
}

func TestCreatePhoneConflict(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	rec := a.do(t, http.MethodPost, "/api/v2/phones", tokAll, `{"name": "B", "internal_number": 101, "number": "+33612345679"}`)
	checkErrorMessage(t, rec, http.StatusConflict, "/api/v2/phones", "internal_number 101 is already used")
}

func TestCreatePhoneBodyTooLarge(t *testing.T) {
	a := newTestAPI(t)
	body := `{"name": "` + strings.Repeat("x", maxBodyBytes) + `"}`
	rec := a.do(t, http.MethodPost, "/api/v2/phones", tokAll, body)
	checkErrorMessage(t, rec, http.StatusRequestEntityTooLarge, "/api/v2/phones", "request body must not exceed 65536 bytes")
}

func TestCreatePhoneStoreFailure(t *testing.T) {
	a := newTestAPI(t)
	a.phones.err = sipsim.Errorf(sipsim.EUNPROCESSABLE, "Phone limit reached")
	rec := a.do(t, http.MethodPost, "/api/v2/phones", tokAll, `{"name": "A", "internal_number": 101, "number": "+33612345678"}`)
	checkErrorMessage(t, rec, http.StatusUnprocessableEntity, "/api/v2/phones", "Phone limit reached")
}

func TestUpdatePhoneMergesNestedSettings(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	body := `{"forwarding_setting": {"conditional": {"timeout_seconds": 40}}, "record_setting": {"record_inbound_call": false}}`
	var data map[string]any
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", scopeToken(sipsim.ScopePhonesWrite), body), http.StatusOK, &data)

	var want map[string]any
	if err := json.Unmarshal([]byte(documentPhoneJSON), &want); err != nil {
		t.Fatal(err)
	}
	want["forwarding_setting"].(map[string]any)["conditional"].(map[string]any)["timeout_seconds"] = 40.0
	want["record_setting"].(map[string]any)["record_inbound_call"] = false
	want["registration"] = map[string]any{"status": "unregistered", "contacts": 0.0}
	want["updated_at"] = "2024-01-15T10:30:00Z" // the store's clock
	if !reflect.DeepEqual(data, want) {
		got, _ := json.Marshal(data)
		wantJSON, _ := json.Marshal(want)
		t.Errorf("patched phone\n got %s\nwant %s", got, wantJSON)
	}
	if len(a.regs.deleted) != 0 {
		t.Errorf("a settings change dropped registrations of %v", a.regs.deleted)
	}
}

func TestUpdatePhoneNullClears(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	body := `{"group": null, "outbound_setting": {"outbound_number": null}, "forwarding_setting": {"conditional": {"enabled": false, "forward_number": null}}}`
	var data struct {
		Group           *wire.PhoneGroup     `json:"group"`
		OutboundSetting wire.OutboundSetting `json:"outbound_setting"`
	}
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, body), http.StatusOK, &data)
	stored := a.phones.phones[123]
	if data.Group != nil || data.OutboundSetting.OutboundNumber != nil || stored.Group != nil ||
		stored.OutboundSetting.OutboundNumber != nil || stored.ForwardingSetting.Conditional.ForwardNumber != nil {
		t.Errorf("nulls did not clear: %+v / stored %+v", data, stored)
	}
	// Forwarding needs a number: clearing it means turning it off too.
	if stored.ForwardingSetting.Conditional.Enabled || stored.ForwardingSetting.Conditional.TimeoutSeconds != 25 {
		t.Errorf("conditional forwarding = %+v, want disabled and the absent timeout kept", stored.ForwardingSetting.Conditional)
	}
}

func TestUpdatePhoneGroupMerges(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	var data struct{ Group *wire.PhoneGroup }
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"group": {"group_title": "Support"}}`), http.StatusOK, &data)
	if data.Group == nil || *data.Group != (wire.PhoneGroup{GroupID: 5, GroupTitle: "Support"}) {
		t.Errorf("group = %+v", data.Group)
	}
}

func TestUpdatePhoneCredentials(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	a.register(123, "sip:101@192.0.2.1")

	rec := a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"internal_number": 102}`)
	checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/phones/123", "sip_password is required when internal_number changes")
	if a.phones.updates != 0 {
		t.Error("rejected update reached the store")
	}

	var data struct {
		InternalNumber int    `json:"internal_number"`
		SIPUsername    string `json:"sip_username"`
	}
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"internal_number": 102, "sip_password": "new-password"}`), http.StatusOK, &data)
	if data.InternalNumber != 102 || data.SIPUsername != "102" {
		t.Errorf("updated = %+v", data)
	}
	md5, sha := sipsim.DigestHA1("102", testRealm, "new-password")
	if s := a.phones.phones[123]; s.SIPHA1MD5 != md5 || s.SIPHA1SHA256 != sha {
		t.Errorf("HA1 not recomputed for the new user name")
	}
	if !slices.Equal(a.regs.deleted, []int64{123}) {
		t.Errorf("registrations dropped for %v, want [123]", a.regs.deleted)
	}
}

func TestUpdatePhoneDeactivationDropsRegistrations(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	a.register(123, "sip:101@192.0.2.1")
	var data struct{ Registration wire.Registration }
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"status": "inactive"}`), http.StatusOK, &data)
	if data.Registration.Status != "unregistered" || !slices.Equal(a.regs.deleted, []int64{123}) {
		t.Errorf("registration = %+v, dropped %v", data.Registration, a.regs.deleted)
	}
}

func TestUpdatePhoneActivationNeedsPassword(t *testing.T) {
	a := newTestAPI(t)
	p := documentPhone()
	p.Status, p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.PhoneNotActivated, "", ""
	a.addPhone(p)
	rec := a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"status": "active"}`)
	checkErrorMessage(t, rec, http.StatusBadRequest, "/api/v2/phones/123", "sip_password is required to activate a phone")

	var data struct{ Status sipsim.PhoneStatus }
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"status": "active", "sip_password": "abcdefgh"}`), http.StatusOK, &data)
	if data.Status != sipsim.PhoneActive {
		t.Errorf("status = %q", data.Status)
	}
}

func TestUpdatePhoneEmptyBodyChangesNothing(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{}`), http.StatusOK, &data)
	if a.phones.updates != 0 {
		t.Error("an empty PATCH wrote to the store")
	}
}

func TestUpdatePhoneErrors(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	other := documentPhone()
	other.ID, other.InternalNumber, other.Number = 124, 102, "+33612345679"
	a.addPhone(other)
	tests := []struct {
		name, path, body string
		status           int
		msg              string
	}{
		{"bad id", "/api/v2/phones/x", `{}`, 400, "id must be a positive integer"},
		{"not an object", "/api/v2/phones/123", `"name"`, 400, "request body must be a JSON object"},
		{"unknown field", "/api/v2/phones/123", `{"nmae": "B"}`, 400, `unknown field "nmae"`},
		{"read-only", "/api/v2/phones/123", `{"created_at": "2024-01-01T00:00:00Z"}`, 400, "created_at is read-only"},
		{"null name", "/api/v2/phones/123", `{"name": null}`, 400, "name must be a string"},
		{"bad number", "/api/v2/phones/123", `{"number": "06 12 34 56 79"}`, 400, "number is invalid: use E.164 format, e.g. +33612345679"},
		{"not found", "/api/v2/phones/999", `{"name": "B"}`, 404, "Phone not found"},
		{"other account", "/api/v2/phones/123", `{"name": "B"}`, 404, "Phone not found"},
		{"duplicate number", "/api/v2/phones/123", `{"number": "+33612345679"}`, 409, "number +33612345679 is already used"},
		{"too large", "/api/v2/phones/123", `{"name": "` + strings.Repeat("x", maxBodyBytes) + `"}`, 413, "request body must not exceed 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tokAll
			if tt.name == "other account" {
				tok = tokOther
			}
			rec := a.do(t, http.MethodPatch, tt.path, tok, tt.body)
			checkErrorMessage(t, rec, tt.status, tt.path, tt.msg)
		})
	}
}

func TestDeletePhone(t *testing.T) {
	a := newTestAPI(t)
	a.addPhone(documentPhone())
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/phones/123", scopeToken(sipsim.ScopePhonesWrite), ""), http.StatusOK, &data)
	jsonEqual(t, data, `{"id": 123, "deleted": true}`)
	if _, ok := a.phones.phones[123]; ok {
		t.Error("phone still stored")
	}

	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/phones/123", tokAll, ""), 404, "/api/v2/phones/123", "Phone not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/phones/-1", tokAll, ""), 400, "/api/v2/phones/-1", "id must be a positive integer")

	a.phones.err = sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/phones/"+strconv.Itoa(123), tokAll, ""), 409, "/api/v2/phones/123", "Phone is currently on another call")
}
