package client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sipsim/sipsim/events"
)

const testSecret = "whsec_test"

var eventBody = []byte(`{"id":42,"type":"call.ended","created_at":"2026-01-15T10:30:00.000Z","data":{"call":{"id":"call_a","status":"completed","ended_reason":"target_hangup","events":[]}}}`)

func signedRequest(body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("SIPSIM-Signature", signature)
	return r
}

func TestVerifyWebhook(t *testing.T) {
	signedAt := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	good := events.Sign(testSecret, signedAt, eventBody)
	tampered := bytes.Replace(eventBody, []byte("completed"), []byte("canceled!"), 1)
	tests := []struct {
		name    string
		secret  string
		body    []byte
		header  string
		now     time.Time
		wantErr error
	}{
		{"genuine", testSecret, eventBody, good, signedAt.Add(time.Minute), nil},
		{"other secret", "whsec_other", eventBody, good, signedAt, ErrSignatureMismatch},
		{"body changed", testSecret, tampered, good, signedAt, ErrSignatureMismatch},
		{"replayed later", testSecret, eventBody, good, signedAt.Add(6 * time.Minute), ErrSignatureExpired},
		{"no header", testSecret, eventBody, "", signedAt, ErrSignatureMalformed},
		{"garbage header", testSecret, eventBody, "sha256=abc", signedAt, ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedRequest(tt.body, tt.header)
			ev, err := verifyWebhookAt(tt.secret, r, 0, tt.now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || ev != nil {
					t.Fatalf("got %v, %v; want %v", ev, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != 42 || ev.Type != "call.ended" || ev.Data.Call.ID != "call_a" || ev.Data.Call.Status != "completed" ||
				ev.Data.Call.EndedReason == nil || *ev.Data.Call.EndedReason != "target_hangup" {
				t.Fatalf("event %+v", ev)
			}
			// The handler can still read the body, e.g. to store it.
			if b, _ := io.ReadAll(r.Body); !bytes.Equal(b, tt.body) {
				t.Fatalf("body left for the handler: %q", b)
			}
		})
	}
}

func TestVerifyWebhookToleranceIsTheCallers(t *testing.T) {
	signedAt := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	r := signedRequest(eventBody, events.Sign(testSecret, signedAt, eventBody))
	if _, err := verifyWebhookAt(testSecret, r, 10*time.Second, signedAt.Add(time.Minute)); !errors.Is(err, ErrSignatureExpired) {
		t.Fatalf("err = %v, want expired with a 10 s tolerance", err)
	}
}

func TestVerifyWebhookRefusesASignedNonEvent(t *testing.T) {
	body := []byte(`not json`)
	r := signedRequest(body, events.Sign(testSecret, time.Now(), body))
	if _, err := VerifyWebhook(testSecret, r, 0); err == nil {
		t.Fatal("a body that is not an event was accepted")
	}
}
