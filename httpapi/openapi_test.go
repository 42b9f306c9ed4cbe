package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// These tests keep openapi.json true: the routes of routes.go and the
// operations of the document are the same set with the same scopes, and
// the schemas have exactly the members the handlers produce and accept.

type schema = map[string]any

// openAPI is the parsed document with helpers to walk its schemas.
type openAPI struct {
	doc map[string]any
}

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(openAPIDocument))
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if d.More() {
		t.Fatal("openapi.json has data after the document")
	}
	return openAPI{doc: doc}
}

// resolve follows a local $ref ("#/components/schemas/Phone") to its target.
func (o openAPI) resolve(s schema) schema {
	for s != nil {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var node any = o.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := node.(map[string]any)
			node = m[part]
		}
		s, _ = node.(schema)
	}
	return nil
}

func (o openAPI) component(kind, name string) schema {
	return o.resolve(schema{"$ref": "#/components/" + kind + "/" + name})
}

// list returns v as a JSON array, or nil when it is not one.
func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func subschemas(s schema, keyword string) []schema {
	var out []schema
	for _, v := range list(s[keyword]) {
		if m, ok := v.(schema); ok {
			out = append(out, m)
		}
	}
	return out
}

// types returns the JSON types s allows; empty means any.
func (o openAPI) types(s schema) map[string]bool {
	s = o.resolve(s)
	out := map[string]bool{}
	switch t := s["type"].(type) {
	case string:
		out[t] = true
	case []any:
		for _, v := range t {
			out[v.(string)] = true
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		for _, sub := range subschemas(s, kw) {
			for t := range o.types(sub) {
				out[t] = true
			}
		}
	}
	return out
}

// objectShape merges the properties and required members of s and its
// allOf parts, and the properties of its object branches of oneOf/anyOf
// (whose required members hold only in their branch).
func (o openAPI) objectShape(s schema) (props map[string]schema, required []string) {
	s = o.resolve(s)
	props = map[string]schema{}
	if ps, ok := s["properties"].(map[string]any); ok {
		for k, v := range ps {
			props[k] = v.(schema)
		}
	}
	for _, r := range list(s["required"]) {
		required = append(required, r.(string))
	}
	for _, part := range subschemas(s, "allOf") {
		p, r := o.objectShape(part)
		maps.Copy(props, p)
		required = append(required, r...)
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		for _, sub := range subschemas(s, kw) {
			if o.types(sub)["object"] {
				p, _ := o.objectShape(sub)
				maps.Copy(props, p)
			}
		}
	}
	return props, required
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// check compares a JSON value with a schema: its type, enum, and for an
// object its member names. strict requires every documented member (a
// handler's output); otherwise only the required ones (an example).
func (o openAPI) check(where string, s schema, v any, strict bool) []string {
	s = o.resolve(s)
	if s == nil {
		return []string{where + ": schema not found"}
	}
	var problems []string
	typ := jsonType(v)
	if ts := o.types(s); len(ts) > 0 && !ts[typ] && !(typ == "integer" && ts["number"]) {
		return []string{fmt.Sprintf("%s: value of type %s, schema allows %v", where, typ, sortedKeys(ts))}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		problems = append(problems, fmt.Sprintf("%s: %v is not in the enum %v", where, v, enum))
	}
	switch v := v.(type) {
	case map[string]any:
		props, required := o.objectShape(s)
		if len(props) == 0 {
			return problems // a free-form object
		}
		for k, val := range v {
			sub, ok := props[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: member %q is not in the schema", where, k))
				continue
			}
			problems = append(problems, o.check(where+"."+k, sub, val, strict)...)
		}
		if strict {
			required = sortedKeys(props)
		}
		for _, k := range required {
			if _, ok := v[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s: documented member %q is missing", where, k))
			}
		}
	case []any:
		items, ok := s["items"].(schema)
		if !ok {
			break // any items
		}
		for i, item := range v {
			problems = append(problems, o.check(fmt.Sprintf("%s[%d]", where, i), items, item, strict)...)
		}
	}
	return problems
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func TestOpenAPIDeclaresVersion31(t *testing.T) {
	o := loadOpenAPI(t)
	if v, _ := o.doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if info, _ := o.doc["info"].(map[string]any); info["title"] == nil || info["version"] == nil {
		t.Errorf("info = %v", info)
	}
	if o.component("securitySchemes", "bearerAuth")["scheme"] != "bearer" {
		t.Error("no bearer security scheme")
	}
}

func TestOpenAPIOperationsAreTheRoutes(t *testing.T) {
	o := loadOpenAPI(t)
	documented := map[string]sipsim.Scope{}
	paths, _ := o.doc["paths"].(map[string]any)
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range paths {
		for _, method := range httpMethods {
			op, ok := item.(map[string]any)[method].(map[string]any)
			if !ok {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			scope, _ := op["x-required-scope"].(string)
			documented[key] = sipsim.Scope(scope)

			// The scope is stated three ways; they must agree.
			security, _ := json.Marshal(op["security"])
			desc, _ := op["description"].(string)
			if scope == "" {
				if string(security) != "[]" {
					t.Errorf("%s: public operation has security %s", key, security)
				}
			} else {
				if want := fmt.Sprintf(`[{"bearerAuth":[%q]}]`, scope); string(security) != want {
					t.Errorf("%s: security = %s, want %s", key, security, want)
				}
				if !strings.Contains(desc, "`"+scope+"`") {
					t.Errorf("%s: description does not name the scope %s", key, scope)
				}
				for _, status := range []string{"401", "403"} {
					if _, ok := op["responses"].(map[string]any)[status]; !ok {
						t.Errorf("%s: no %s response documented", key, status)
					}
				}
			}
			// Every {param} of the path is declared.
			var declared []string
			for _, p := range list(op["parameters"]) {
				if p := o.resolve(p.(schema)); p["in"] == "path" {
					declared = append(declared, p["name"].(string))
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !slices.Contains(declared, m[1]) {
					t.Errorf("%s: path parameter %s not declared", key, m[1])
				}
			}
		}
	}

	served := map[string]sipsim.Scope{}
	for _, rt := range routes() {
		served[rt.Method+" "+rt.Pattern] = rt.Scope
	}
	for key, scope := range served {
		docScope, ok := documented[key]
		switch {
		case !ok:
			t.Errorf("route %s is not in openapi.json", key)
		case docScope != scope:
			t.Errorf("route %s needs scope %q, the document says %q", key, scope, docScope)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("openapi.json documents %s, which is not a route", key)
		}
	}
}

// schemaRef and arrayOf name the schema a response's data must match.
func schemaRef(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

func arrayOf(name string) schema { return schema{"type": "array", "items": schemaRef(name)} }

// TestOpenAPISchemasMatchResponses encodes real responses, with every
// nullable member set and with every one null, and compares them with the
// schemas member by member.
func TestOpenAPISchemasMatchResponses(t *testing.T) {
	o := loadOpenAPI(t)
	a := newTestAPI(t)

	full := documentPhone()
	full.OutboundSetting.OutboundNumberPhoneID = ptr(int64(124))
	full.VoicemailSetting.VoicemailFileID = ptr(int64(7))
	full.ForwardingSetting.Forced.ForwardNumber = ptr("+33555888999")
	full.AudioSetting = sipsim.AudioSetting{InboundCallPrerollID: ptr(int64(1)), OutboundCallPrerollID: ptr(int64(2)), NoAnswerFileID: ptr(int64(3)), WaitPrerollDial: 2}
	a.addPhone(full)
	a.register(123, "sip:101@192.0.2.1")
	ended, events := endedCall()
	a.calls.calls[ended.ID] = ended
	a.calls.events[ended.ID] = events
	ringing := ringingCall("call_ring", testNow.Add(time.Second))
	a.calls.calls[ringing.ID] = ringing
	a.addTag(1, "lead")
	a.tagCall(ended.ID, 1)
	a.addWebhook(1, "https://crm.example.com/hook")
	a.webhooks.deliveries[1] = []*sipsim.Delivery{pendingDelivery(), succeededDelivery()}
	busy := sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on another call")
	busy.CallID = "call_ring"

	responses := []struct {
		method, path, body string
		status             int
		envelope           string // Envelope, ListEnvelope, or Error
		data               schema
	}{
		{"GET", "/api/v2/phones/123", "", 200, "Envelope", schemaRef("Phone")},
		{"POST", "/api/v2/phones", `{"name": "Bare", "internal_number": 102, "number": "+33612345679"}`, 201, "Envelope", schemaRef("Phone")},
		{"GET", "/api/v2/calls/call_done", "", 200, "Envelope", schemaRef("Call")},
		{"GET", "/api/v2/calls", "", 200, "ListEnvelope", arrayOf("Call")},
		{"GET", "/api/v2/calls?limit=1", "", 200, "ListEnvelope", arrayOf("Call")},
		{"POST", "/api/v2/calls", `{"phone_id": 123, "target_number": "+33698765432"}`, 201, "Envelope", schemaRef("Call")},
		{"DELETE", "/api/v2/calls/call_ring", "", 200, "Envelope", schemaRef("Call")},
		{"POST", "/api/v2/calls/call_done/hangup", "", 200, "Envelope", schemaRef("Call")},
		{"POST", "/api/v2/calls/call_done/tags", `{"name": "lead"}`, 200, "Envelope", schemaRef("Call")},
		{"DELETE", "/api/v2/calls/call_done/tags/1", "", 200, "Envelope", schemaRef("Call")},
		{"GET", "/api/v2/tags", "", 200, "Envelope", arrayOf("Tag")},
		{"POST", "/api/v2/tags", `{"name": "vip"}`, 201, "Envelope", schemaRef("Tag")},
		{"GET", "/api/v2/tags/1", "", 200, "Envelope", schemaRef("Tag")},
		{"PATCH", "/api/v2/tags/1", `{"color": "#00AA55"}`, 200, "Envelope", schemaRef("Tag")},
		{"DELETE", "/api/v2/tags/2", "", 200, "Envelope", schemaRef("Deleted")},
		{"POST", "/api/v2/webhooks", `{"url": "https://example.com/h"}`, 201, "Envelope", schemaRef("WebhookCreated")},
		{"GET", "/api/v2/webhooks", "", 200, "Envelope", arrayOf("Webhook")},
		{"GET", "/api/v2/webhooks/1", "", 200, "Envelope", schemaRef("Webhook")},
		{"GET", "/api/v2/webhooks/1/deliveries", "", 200, "Envelope", arrayOf("Delivery")},
		{"DELETE", "/api/v2/webhooks/2", "", 200, "Envelope", schemaRef("Deleted")},
		{"POST", "/api/v2/accounts", `{"name": "Acme", "sip_domain": "acme.example.com", "country": "FR"}`, 201, "Envelope", schemaRef("Account")},
		{"GET", "/api/v2/accounts", "", 200, "Envelope", arrayOf("Account")},
		{"GET", "/api/v2/accounts/2", "", 200, "Envelope", schemaRef("Account")},
		{"PATCH", "/api/v2/accounts/2", `{"limits": {"daily_minutes": 5}}`, 200, "Envelope", schemaRef("Account")},
		{"DELETE", "/api/v2/phones/102", "", 404, "Error", nil},
		{"GET", "/healthz", "", 200, "Envelope", schemaRef("Health")},
	}
	for _, r := range responses {
		rec := a.do(t, r.method, r.path, tokAll, r.body)
		if rec.Code != r.status {
			t.Fatalf("%s %s = %d: %s", r.method, r.path, rec.Code, rec.Body)
		}
		body := decodeAny(t, rec.Body.Bytes()).(map[string]any)
		where := r.method + " " + r.path
		// Error's call_id is optional: only its required members are due.
		strict := r.envelope != "Error"
		for _, p := range o.check(where, o.component("schemas", r.envelope), body, strict) {
			t.Error(p)
		}
		if r.data != nil {
			for _, p := range o.check(where+" data", r.data, body["data"], true) {
				t.Error(p)
			}
		}
	}

	// An error about a call has every member of Error.
	a.calls.create = func(sipsim.CreateCallRequest) (*sipsim.Call, error) { return nil, busy }
	rec := a.do(t, "POST", "/api/v2/calls", tokAll, `{"phone_id": 123, "target_number": "+33698765432"}`)
	for _, p := range o.check("busy 409", o.component("schemas", "Error"), decodeAny(t, rec.Body.Bytes()), true) {
		t.Error(p)
	}
}

// TestOpenAPIRequestSchemasMatchDecoders sends bodies built from the
// schemas and checks the handlers accept every documented member.
func TestOpenAPIRequestSchemasMatchDecoders(t *testing.T) {
	o := loadOpenAPI(t)
	a := newTestAPI(t)

	// The writable members of a phone are the Phone members that are not
	// readOnly, plus the write-only sip_password.
	phone := decodeAny(t, mustJSON(t, wire.NewPhone(documentPhone(), testRealm, 0))).(map[string]any)
	props, _ := o.objectShape(o.component("schemas", "Phone"))
	for k, p := range props {
		if p["readOnly"] == true || o.resolve(p)["readOnly"] == true {
			delete(phone, k)
		}
	}
	phone["sip_password"] = "password1"
	for _, p := range o.check("PhoneWrite", o.component("schemas", "PhoneWrite"), phone, true) {
		t.Error(p)
	}
	body := string(mustJSON(t, phone))
	if rec := a.do(t, http.MethodPost, "/api/v2/phones", tokAll, body); rec.Code != http.StatusCreated {
		t.Errorf("POST of every PhoneWrite member = %d: %s", rec.Code, rec.Body)
	}
	if rec := a.do(t, http.MethodPatch, "/api/v2/phones/1", tokAll, body); rec.Code != http.StatusOK {
		t.Errorf("PATCH of every PhoneWrite member = %d: %s", rec.Code, rec.Body)
	}

	callBody := `{"phone_id": 123, "target_number": "+33698765432", "agent_ring_timeout": 20, "auto_answer": true, "caller_id_name": "ACME: Jane Doe"}`
	call := decodeAny(t, []byte(callBody))
	for _, p := range o.check("CreateCallRequest", o.component("schemas", "CreateCallRequest"), call, true) {
		t.Error(p)
	}
	if rec := a.do(t, http.MethodPost, "/api/v2/calls", tokAll, callBody); rec.Code != http.StatusCreated {
		t.Errorf("POST of every CreateCallRequest member = %d: %s", rec.Code, rec.Body)
	}

	// The documented examples of the other bodies are accepted as they
	// are, and have every member of their schema between them.
	c, _ := endedCall()
	a.calls.calls[c.ID] = c
	a.addTag(3, "prospect") // the tag_id of CallTagRequest's example
	bodies := []struct {
		schema, method, path string
		status               int
	}{
		{"TagCreate", http.MethodPost, "/api/v2/tags", http.StatusCreated},
		{"TagWrite", http.MethodPatch, "/api/v2/tags/4", http.StatusOK}, // the tag just created
		{"CallTagRequest", http.MethodPost, "/api/v2/calls/call_done/tags", http.StatusOK},
		{"WebhookCreate", http.MethodPost, "/api/v2/webhooks", http.StatusCreated},
		{"AccountCreate", http.MethodPost, "/api/v2/accounts", http.StatusCreated},
		{"AccountWrite", http.MethodPatch, "/api/v2/accounts/2", http.StatusOK},
	}
	for _, b := range bodies {
		s := o.component("schemas", b.schema)
		props, _ := o.objectShape(s)
		seen := map[string]bool{}
		for i, ex := range list(s["examples"]) {
			for k := range ex.(map[string]any) {
				seen[k] = true
			}
			rec := a.do(t, b.method, b.path, tokAll, string(mustJSON(t, ex)))
			if rec.Code != b.status {
				t.Errorf("%s example %d: %s %s = %d: %s", b.schema, i, b.method, b.path, rec.Code, rec.Body)
			}
		}
		for k := range props {
			if !seen[k] {
				t.Errorf("%s: no example sends member %q", b.schema, k)
			}
		}
	}
}

// TestOpenAPIEnumsMatchTheCode keeps the document's lists of statuses,
// reasons, event types and scopes equal to the ones the code checks.
func TestOpenAPIEnumsMatchTheCode(t *testing.T) {
	o := loadOpenAPI(t)
	names := func(v any) []string {
		var out []string
		for _, e := range list(v) {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	props, _ := o.objectShape(o.component("schemas", "Call"))
	param := func(name string) schema {
		return o.component("parameters", name)["schema"].(schema)["items"].(schema)
	}
	checks := []struct {
		where string
		doc   []string
		code  []string
	}{
		{"Call.status", names(props["status"]["enum"]), toStrings(callStatuses)},
		{"Call.ended_reason", names(props["ended_reason"]["enum"]), toStrings(endReasons)},
		{"EventType", names(o.component("schemas", "EventType")["enum"]), eventTypes},
		{"status filter", names(param("CallStatusFilter")["enum"]), toStrings(callStatuses)},
		{"ended_reason filter", names(param("EndedReasonFilter")["enum"]), toStrings(endReasons)},
	}
	for _, c := range checks {
		if !slices.Equal(c.doc, c.code) {
			t.Errorf("%s: document %v, code %v", c.where, c.doc, c.code)
		}
	}
	for _, st := range callStatuses {
		if !st.Valid() {
			t.Errorf("callStatuses lists %q, which the domain does not know", st)
		}
	}
	desc, _ := o.component("securitySchemes", "bearerAuth")["description"].(string)
	for _, sc := range sipsim.AllScopes {
		if !strings.Contains(desc, string(sc)) {
			t.Errorf("bearerAuth description does not list scope %s", sc)
		}
	}
}

func toStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// TestOpenAPIStreamsAreDocumented checks that exactly the stream routes
// answer text/event-stream, that the document says which schema each
// event's data has, and that its examples and a real stream match it.
func TestOpenAPIStreamsAreDocumented(t *testing.T) {
	o := loadOpenAPI(t)
	for path, item := range o.doc["paths"].(map[string]any) {
		for _, method := range httpMethods {
			op, ok := item.(map[string]any)[method].(map[string]any)
			if !ok {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			resp, _ := op["responses"].(map[string]any)["200"].(schema)
			ok200, _ := o.resolve(resp)["content"].(map[string]any)
			media, isStream := ok200["text/event-stream"].(map[string]any)
			wantStream := slices.ContainsFunc(routes(), func(rt route) bool {
				return rt.Method+" "+rt.Pattern == key && isStreamRoute(rt)
			})
			if isStream != wantStream {
				t.Errorf("%s: documented as a stream: %v, is one: %v", key, isStream, wantStream)
			}
			if !isStream {
				continue
			}
			if len(ok200) != 1 {
				t.Errorf("%s: 200 has other media types than text/event-stream", key)
			}
			if ref, _ := media["x-event-schema"].(schema)["$ref"].(string); ref != "#/components/schemas/Event" {
				t.Errorf("%s: x-event-schema = %v, want the Event schema", key, media["x-event-schema"])
			}
			ex, _ := media["example"].(string)
			events := parseSSE(t, ex)
			if len(events) == 0 {
				t.Errorf("%s: the example holds no event", key)
			}
			for i, ev := range events {
				for _, p := range o.check(fmt.Sprintf("%s example event %d", key, i), o.component("schemas", "Event"), decodeAny(t, []byte(ev.data)), true) {
					t.Error(p)
				}
			}
		}
	}

	// A real stream: the events of an ended call.
	a := newTestAPI(t)
	c, evs := endedCall()
	a.calls.calls[c.ID] = c
	a.events.store(withSnapshots(c, evs)...)
	rec := a.do(t, http.MethodGet, "/api/v2/calls/call_done/events", tokAll, "")
	events := parseSSE(t, rec.Body.String())
	if len(events) != len(evs) {
		t.Fatalf("stream sent %d events, want %d: %s", len(events), len(evs), rec.Body)
	}
	for i, ev := range events {
		for _, p := range o.check(fmt.Sprintf("stream event %d", i), o.component("schemas", "Event"), decodeAny(t, []byte(ev.data)), true) {
			t.Error(p)
		}
	}
}

// TestOpenAPIExamplesMatchSchemas checks every example of the document
// against its schema, so the examples cannot drift either.
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	o := loadOpenAPI(t)
	examples := 0
	checkContent := func(where string, content any) {
		for mt, media := range content.(map[string]any) {
			m := media.(map[string]any)
			if ex, ok := m["example"]; ok {
				examples++
				raw := mustJSON(t, ex)
				for _, p := range o.check(where+" "+mt, m["schema"].(schema), decodeAny(t, raw), false) {
					t.Error(p)
				}
			}
		}
	}
	// The paths, and the requests SIPSIM sends (OpenAPI's webhooks).
	items := maps.Clone(o.doc["paths"].(map[string]any))
	maps.Copy(items, o.doc["webhooks"].(map[string]any))
	for path, item := range items {
		for _, method := range httpMethods {
			op, ok := item.(map[string]any)[method].(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			if rb, ok := op["requestBody"].(map[string]any); ok {
				checkContent(where+" request", rb["content"])
			}
			for status, resp := range op["responses"].(map[string]any) {
				if r := o.resolve(resp.(schema)); r["content"] != nil {
					checkContent(where+" "+status, r["content"])
				}
			}
		}
	}
	for name, s := range o.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		for i, ex := range list(s.(schema)["examples"]) {
			examples++
			strict := slices.Contains([]string{"Phone", "Call", "Event", "Tag", "Webhook", "WebhookCreated", "Delivery"}, name)
			for _, p := range o.check(fmt.Sprintf("%s example %d", name, i), s.(schema), decodeAny(t, mustJSON(t, ex)), strict) {
				t.Error(p)
			}
		}
	}
	if examples < 60 {
		t.Errorf("only %d examples checked", examples)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
