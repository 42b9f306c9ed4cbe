package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// sendBody sends body to a route with every scope; declared=false hides
// its length, as a chunked upload does, so that the limit cannot rely on
// Content-Length.
func sendBody(a *testAPI, method, path, contentType string, body []byte, declared bool) *httptest.ResponseRecorder {
	var rd io.Reader = bytes.NewReader(body)
	if !declared {
		rd = io.MultiReader(rd)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+tokAll)
	req.Header.Set("Content-Type", contentType)
	return serve(a, req)
}

// jsonOfSize is a JSON object of exactly n bytes.
func jsonOfSize(n int) []byte {
	const head, tail = `{"name": "`, `"}`
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}

// Every route that reads a JSON body answers one byte over 64 KiB with 413
// in the error envelope, whether the length is declared or not; a body of
// exactly the limit is read (and judged on its content).
func TestEveryJSONRouteRefusesOversizedBody(t *testing.T) {
	tooLarge := fmt.Sprintf("request body must not exceed %d bytes", maxBodyBytes)
	for _, br := range bodyRoutes() {
		if !br.isJSON() {
			continue
		}
		for _, declared := range []bool{true, false} {
			a := bodyRouteAPI(t)
			rec := sendBody(a, br.method(), br.path, "application/json", jsonOfSize(maxBodyBytes+1), declared)
			checkErrorMessage(t, rec, http.StatusRequestEntityTooLarge, br.path, tooLarge)

			rec = sendBody(a, br.method(), br.path, "application/json", jsonOfSize(maxBodyBytes), declared)
			if rec.Code == http.StatusRequestEntityTooLarge || rec.Code >= 500 {
				t.Errorf("%s with a body of exactly %d bytes = %d %s", br.key, maxBodyBytes, rec.Code, rec.Body)
			}
		}
	}
}

// The audio upload has its own cap: 10 MiB of file, and the whole body
// (file, name and multipart framing) bounded a little above that. A body
// over it answers 413 in the envelope even when no single part is too
// large, here a name field of 11 MiB.
func TestAudioUploadRefusesOversizedBody(t *testing.T) {
	for _, br := range bodyRoutes() {
		if !multipartRoutes[br.key] {
			continue
		}
		for _, declared := range []bool{true, false} {
			a := bodyRouteAPI(t)
			body, ct := multipartBody(t,
				formPart{"file", "a.wav", toneWAV(8000, 0.05)},
				formPart{"name", "", bytes.Repeat([]byte("n"), maxAudioBody)})
			rec := sendBody(a, br.method(), br.path, ct, body, declared)
			checkErrorMessage(t, rec, http.StatusRequestEntityTooLarge, br.path, fmt.Sprintf("file must not exceed %d bytes", maxAudioUpload))

			body, ct = multipartBody(t, formPart{"file", "big.wav", make([]byte, maxAudioUpload+1)})
			rec = sendBody(a, br.method(), br.path, ct, body, declared)
			checkErrorMessage(t, rec, http.StatusRequestEntityTooLarge, br.path, fmt.Sprintf("file must not exceed %d bytes", maxAudioUpload))
		}
	}
}

// The OAuth forms are bounded too, at 8 KiB: a client sends an id, a
// secret and a scope. They answer in the error envelope with RFC 6749's
// members added.
func TestFormRoutesRefuseOversizedBody(t *testing.T) {
	for _, br := range bodyRoutes() {
		if !formRoutes[br.key] {
			continue
		}
		for _, declared := range []bool{true, false} {
			body := []byte("grant_type=client_credentials&client_id=c&pad=" + strings.Repeat("x", maxOAuthBody))
			rec := sendBody(bodyRouteAPI(t), br.method(), br.path, "application/x-www-form-urlencoded", body, declared)
			errs := checkEnvelopeFields(t, rec, http.StatusRequestEntityTooLarge, br.path)
			if want := fmt.Sprintf("request body must not exceed %d bytes", maxOAuthBody); !slices.Contains(errs, want) {
				t.Errorf("%s: errors %q, want %q", br.key, errs, want)
			}
		}
	}
}

// The walk above must find the routes it is about: an empty route table
// or a renamed upload route would make it pass without checking anything.
func TestBodyRoutesAreFound(t *testing.T) {
	found := map[string]bool{}
	for _, br := range bodyRoutes() {
		found[br.key] = true
	}
	for _, key := range []string{"POST /api/v2/calls", "PATCH /api/v2/phones/{id}", "DELETE /api/v2/calls/{id}", "POST /api/v2/audio-files", "POST /oauth/token"} {
		if !found[key] {
			t.Errorf("bodyRoutes() misses %s", key)
		}
	}
}
