package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Bodies of the wrong shape are the client's mistake: every JSON route
// answers them 400 in the error envelope, with a message that names the
// problem, and never 500. Each case changes one thing in a body the route
// accepts (validBodies), checked first.

// rawMark stands for a JSON text that json.Marshal cannot produce (bytes
// that are not UTF-8, nesting deeper than encoding/json allows): the value
// is set to this string, then its quoted form is replaced by the raw text.
const rawMark = "\u2063raw\u2063"

// member is the dotted path of one member of a valid body.
type member struct {
	path  []string
	value any
}

func (m member) name() string { return strings.Join(m.path, ".") }

// members lists every member of an object, nested objects' members too.
func members(obj map[string]any, prefix []string) []member {
	var out []member
	for _, k := range sortedKeys(obj) {
		p := append(slices.Clone(prefix), k)
		out = append(out, member{path: p, value: obj[k]})
		if child, ok := obj[k].(map[string]any); ok {
			out = append(out, members(child, p)...)
		}
	}
	return out
}

func decodeValid(t *testing.T, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("valid body %s: %v", body, err)
	}
	return obj
}

// withValue is body with the member at path set to v; a v of rawMark is
// replaced by raw in the encoded text.
func withValue(t *testing.T, body string, path []string, v any, raw string) []byte {
	t.Helper()
	obj := decodeValid(t, body)
	o := obj
	for _, k := range path[:len(path)-1] {
		o = o[k].(map[string]any)
	}
	o[path[len(path)-1]] = v
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(rawMark)
	return bytes.Replace(b, quoted, []byte(raw), 1)
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v.(type) {
	case string:
		return 7
	case json.Number:
		return "7"
	case bool:
		return "true"
	case map[string]any:
		return []any{1}
	case []any:
		return map[string]any{"x": 1}
	}
	return []any{1} // null
}

// shapeCase is one malformed body and what its 400 must say.
type shapeCase struct {
	name    string
	body    []byte
	want    string // a message that must be among errors[]; "" for any
	mention string // a member one of the messages must name; "" for none
}

func nested(open, close string, depth int) string {
	return strings.Repeat(open, depth) + strings.Repeat(close, depth)
}

// shapeCases derives the malformed bodies of one route from its valid one.
func shapeCases(t *testing.T, valid string) []shapeCase {
	cases := []shapeCase{
		{"array", []byte(`[]`), "request body must be a JSON object", ""},
		{"array of the body", []byte("[" + valid + "]"), "request body must be a JSON object", ""},
		{"string", []byte(`"text"`), "request body must be a JSON object", ""},
		{"number", []byte(`42`), "request body must be a JSON object", ""},
		{"boolean", []byte(`true`), "request body must be a JSON object", ""},
		{"null", []byte(`null`), "request body must be a JSON object", ""},
		{"truncated", []byte(valid[:len(valid)-1]), "request body must be a JSON object", ""},
		{"two objects", []byte(valid + valid), "request body must be a JSON object", ""},
		{"trailing data", []byte(valid + " x"), "request body must be a JSON object", ""},
		{"nesting past the decoder's limit", []byte(nested("[", "]", 20000)), "request body must be a JSON object", ""},
		{"invalid UTF-8 in a name", []byte("{\"a\xffb\": 1}"), "request body must be UTF-8 text", ""},
		{"unknown field", withValue(t, valid, []string{"zz_unknown"}, 1, ""), `unknown field "zz_unknown"`, ""},
	}
	obj := decodeValid(t, valid)
	for _, m := range members(obj, nil) {
		n := m.name()
		cases = append(cases,
			shapeCase{n + ": wrong type", withValue(t, valid, m.path, wrongType(m.value), ""), "", n},
			shapeCase{n + ": nested arrays", withValue(t, valid, m.path, rawMark, nested("[", "]", 5000)), "", n},
			shapeCase{n + ": nested objects", withValue(t, valid, m.path, rawMark, strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000)), "", ""},
			shapeCase{n + ": nesting past the decoder's limit", withValue(t, valid, m.path, rawMark, nested("[", "]", 15000)), "request body must be a JSON object", ""},
		)
		switch m.value.(type) {
		case string:
			cases = append(cases, shapeCase{n + ": invalid UTF-8", withValue(t, valid, m.path, rawMark, "\"a\xff\xfeb\""), "request body must be UTF-8 text", ""})
		case json.Number:
			for _, huge := range []string{"1e999", "123456789012345678901234567890", "-9223372036854775809", "9223372036854775808", "1.5", "1e2"} {
				cases = append(cases, shapeCase{n + ": number " + huge, withValue(t, valid, m.path, rawMark, huge), "", n})
			}
		}
	}
	// A member again, at the end: decoders disagree on which copy wins, so
	// neither may.
	dupName, dupValue := "a", []byte("1")
	if len(obj) > 0 {
		dupName = sortedKeys(obj)[0]
		dupValue = mustMarshal(t, obj[dupName])
	}
	head := bytes.TrimSuffix(bytes.TrimSpace(withValue(t, valid, []string{dupName}, json.RawMessage(dupValue), "")), []byte("}"))
	cases = append(cases, shapeCase{"duplicate field", fmt.Appendf(head, `, %q: %s}`, dupName, dupValue), fmt.Sprintf("duplicate field %q", dupName), ""})
	return cases
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJSONRoutesAnswerMalformedBodies400(t *testing.T) {
	for _, br := range bodyRoutes() {
		if !br.isJSON() {
			continue
		}
		valid, ok := validBodies[br.key]
		if !ok {
			t.Errorf("%s reads a JSON body: add one it accepts to validBodies", br.key)
			continue
		}
		t.Run(br.key, func(t *testing.T) {
			if rec := sendBody(bodyRouteAPI(t), br.method(), br.path, "application/json", []byte(valid), true); rec.Code >= 300 {
				t.Fatalf("the valid body %s = %d %s", valid, rec.Code, rec.Body)
			}
			for _, c := range shapeCases(t, valid) {
				rec := sendBody(bodyRouteAPI(t), br.method(), br.path, "application/json", c.body, true)
				if rec.Code != http.StatusBadRequest {
					t.Errorf("%s: %d %s; body %.200q", c.name, rec.Code, rec.Body, c.body)
					continue
				}
				errs := checkError(t, rec, http.StatusBadRequest, br.path)
				if c.want != "" && !slices.Contains(errs, c.want) {
					t.Errorf("%s: errors %q, want %q", c.name, errs, c.want)
				}
				if c.mention != "" && !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, c.mention) }) {
					t.Errorf("%s: errors %q, want one naming %s", c.name, errs, c.mention)
				}
			}
		})
	}
}

// A JSON body sent to a route that takes a multipart upload or a form is
// refused as such, not taken apart nor failed with a 500.
func TestNonJSONRoutesRefuseJSON(t *testing.T) {
	for _, br := range bodyRoutes() {
		if br.isJSON() {
			continue
		}
		for _, body := range []string{`{"file": "a.wav"}`, `[]`, "{\"name\": \"\xff\"}"} {
			rec := sendBody(bodyRouteAPI(t), br.method(), br.path, "application/json", []byte(body), true)
			checkEnvelopeFields(t, rec, http.StatusBadRequest, br.path)
		}
	}
}

// checkEnvelopeFields checks the members every error envelope has, letting
// through the extra ones some answers add (OAuth's error and
// error_description), and returns the messages.
func checkEnvelopeFields(t testing.TB, rec *httptest.ResponseRecorder, wantStatus int, wantPath string) []string {
	t.Helper()
	var env struct {
		Status    int      `json:"status"`
		Errors    []string `json:"errors"`
		RequestID string   `json:"request_id"`
		Timestamp string   `json:"timestamp"`
		Path      string   `json:"path"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("%s: %d, not an envelope: %s", wantPath, rec.Code, rec.Body)
	}
	if rec.Code != wantStatus || env.Status != wantStatus || len(env.Errors) == 0 || env.Path != wantPath ||
		env.RequestID == "" || env.RequestID != rec.Header().Get("X-Request-Id") || env.Timestamp == "" {
		t.Errorf("%s: %d %s; want %d in the error envelope", wantPath, rec.Code, rec.Body, wantStatus)
	}
	return env.Errors
}
