package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// More fuzz targets, one per parser of outside input that fuzz_test.go
// does not reach: every JSON route's body at once, the Idempotency-Key,
// Authorization and Last-Event-ID headers, path ids, query strings and the
// upload's Content-Type. The invariant is the same everywhere: no panic,
// no 5xx, and an answer in the envelope unless it is a success that is not
// JSON by design (an event stream, a WAV).

// checkAnyAnswer is checkFuzzAnswer that also lets through a success
// whose body is not JSON by design.
func checkAnyAnswer(t *testing.T, rec *httptest.ResponseRecorder, method, target, input string) {
	t.Helper()
	if rec.Code < 300 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		return
	}
	checkFuzzAnswer(t, rec, method, target, input)
}

// ended makes r's context already cancelled: an event stream the request
// starts sends what is stored and returns instead of waiting for more.
func ended(r *http.Request) *http.Request {
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	return r.WithContext(ctx)
}

func FuzzEveryJSONRouteBody(f *testing.F) {
	for _, s := range validBodies {
		f.Add(s)
	}
	for _, s := range []string{``, ` `, `{}`, `[]`, `null`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":` + nested("[", "]", 12000) + `}`,
		`{"limits": {"daily_minutes": 1e999}}`, `{"group": {"group_id": "5", "group_id": 5}}`} {
		f.Add(s)
	}
	a := bodyRouteAPI(f)
	routes := bodyRoutes()
	f.Fuzz(func(t *testing.T, body string) {
		for _, br := range routes {
			if !br.isJSON() {
				continue
			}
			fuzzBody(t, a, br.method(), br.path, body)
		}
	})
}

func FuzzIdempotencyKey(f *testing.F) {
	for _, s := range []string{"key-1", "", " ", strings.Repeat("k", 255), strings.Repeat("k", 256), "é", "a\tb", "\x00", "\x7f", "a\r\nX-Injected: 1"} {
		f.Add(s, validBodies["POST /api/v2/calls"])
	}
	f.Add("key-2", `{"phone_id": 123}`)
	a := bodyRouteAPI(f)
	f.Fuzz(func(t *testing.T, key, body string) {
		// Twice: the second is a replay, a conflict or a new run.
		for range 2 {
			r := httptest.NewRequest(http.MethodPost, "/api/v2/calls", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+tokAll)
			r.Header["Idempotency-Key"] = []string{key}
			checkFuzzAnswer(t, serve(a, r), http.MethodPost, "/api/v2/calls", key+" "+body)
		}
	})
}

func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{"Bearer " + tokAll, "bearer " + tokAll, "Bearer  " + tokAll, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
		"Bearer " + tokNone, "Bearer " + strings.Repeat("x", 10000), "Bearer \x00", "Bearer é", ""} {
		f.Add(s)
	}
	a := bodyRouteAPI(f)
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/api/v2/phones", nil)
		r.Header["Authorization"] = []string{header}
		rec := serve(a, r)
		checkFuzzAnswer(t, rec, http.MethodGet, "/api/v2/phones", header)
		// Only the scheme (any case, RFC 7235) and the exact secret
		// authenticate, whatever the spacing around them.
		if f := strings.Fields(header); rec.Code == http.StatusOK && (len(f) != 2 || !strings.EqualFold(f[0], "Bearer") || f[1] != tokAll) {
			t.Fatalf("Authorization %q was accepted", header)
		}
	})
}

func FuzzLastEventID(f *testing.F) {
	for _, s := range []string{"", "0", "5", "-1", "9223372036854775807", "9223372036854775808", "1e3", " 5", "0x10", "５"} {
		f.Add(s, "")
		f.Add("", "last_event_id="+url.QueryEscape(s))
	}
	f.Add("3", "last_event_id=4&last_event_id=5")
	f.Add("", "last_event_id=%zz")
	a := bodyRouteAPI(f)
	f.Fuzz(func(t *testing.T, header, query string) {
		for _, path := range []string{"/api/v2/calls/call_done/events", "/api/v2/events"} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.URL.RawQuery = query
			r.Header.Set("Authorization", "Bearer "+tokAll)
			r.Header["Last-Event-Id"] = []string{header}
			checkAnyAnswer(t, serve(a, ended(r)), http.MethodGet, path+"?"+query, header)
		}
	})
}

// FuzzPathID puts any segment where a route takes an id: integer ids,
// call ids and tag ids are all parsed from the path.
func FuzzPathID(f *testing.F) {
	for _, s := range []string{"1", "123", "call_done", "0", "-1", "9223372036854775808", "1e3", "%00", "..", "é", " 1", "0x1", strings.Repeat("9", 400)} {
		f.Add(s)
	}
	a := bodyRouteAPI(f)
	var patterns []route
	for _, rt := range routes() {
		if strings.Contains(rt.Pattern, "{") {
			patterns = append(patterns, rt)
		}
	}
	f.Fuzz(func(t *testing.T, seg string) {
		esc := url.PathEscape(seg)
		for _, rt := range patterns {
			path := strings.NewReplacer("{id}", esc, "{tag_id}", esc).Replace(rt.Pattern)
			r := httptest.NewRequest(rt.Method, "/", nil)
			r.URL.Path, r.URL.RawPath = strings.NewReplacer("{id}", seg, "{tag_id}", seg).Replace(rt.Pattern), path
			r.Header.Set("Authorization", "Bearer "+tokAll)
			checkAnyAnswer(t, serve(a, ended(r)), rt.Method, path, seg)
		}
	})
}

// FuzzQueryString sends any query string to every GET route (the static
// OpenAPI document aside): unknown parameters, bad filters and malformed
// encodings are all 400s.
func FuzzQueryString(f *testing.F) {
	for _, s := range []string{"", "status=active", "status=nope", "limit=5", "limit=0", "limit=1&limit=2", "x=1", "%zz", "a;b", "last_event_id=1", "status=%ff"} {
		f.Add(s)
	}
	a := bodyRouteAPI(f)
	var gets []route
	for _, rt := range routes() {
		if rt.Method == http.MethodGet && rt.Pattern != "/api/v2/openapi.json" {
			gets = append(gets, rt)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, rt := range gets {
			path := fixturePath(rt.Pattern)
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.URL.RawQuery = raw
			r.Header.Set("Authorization", "Bearer "+tokAll)
			checkAnyAnswer(t, serve(a, ended(r)), http.MethodGet, path+"?"+raw, raw)
		}
	})
}

// FuzzUploadContentType varies what FuzzUploadAudioFile keeps fixed: the
// Content-Type header and its boundary, against a body that may or may
// not match it.
func FuzzUploadContentType(f *testing.F) {
	good, ct := multipartBody(f, formPart{"file", "a.wav", toneWAV(8000, 0.05)})
	f.Add(ct, good)
	for _, s := range []string{"", "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"", "multipart/mixed; boundary=x",
		"application/json", "multipart/form-data; boundary=" + strings.Repeat("b", 100), "multipart/form-data; boundary=x; boundary=y", "multipart/form-data; charset=\xff; boundary=x"} {
		f.Add(s, good)
	}
	a := bodyRouteAPI(f)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/v2/audio-files", strings.NewReader(string(body)))
		r.Header.Set("Authorization", "Bearer "+tokAll)
		r.Header["Content-Type"] = []string{contentType}
		checkFuzzAnswer(t, serve(a, r), http.MethodPost, "/api/v2/audio-files", contentType)
	})
}
