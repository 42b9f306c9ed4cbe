package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// rawAnswer is one HTTP exchange kept byte for byte, for the checks that
// look past the decoded envelope: replayed bodies, response headers.
type rawAnswer struct {
	Code   int
	Header http.Header
	Body   []byte
	Env    envelope
}

// sendRaw sends body as it is, with extra request headers. Like send it
// does not touch t, so goroutines may use it.
func (a *apiClient) sendRaw(method, path string, body []byte, header map[string]string) (rawAnswer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return rawAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return rawAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return rawAnswer{}, err
	}
	ans := rawAnswer{Code: resp.StatusCode, Header: resp.Header, Body: raw}
	if err := json.Unmarshal(raw, &ans.Env); err != nil {
		return ans, fmt.Errorf("%s %s: answer is not a JSON envelope: %v: %s", method, path, err, raw)
	}
	return ans, nil
}

// mustJSON encodes v for sendRaw.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only test-built values are encoded
	}
	return b
}
