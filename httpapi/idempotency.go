package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/sipsim/sipsim"
)

// idempotencyTTL is how long a response stays replayable.
const idempotencyTTL = 24 * time.Hour

// idempotencyAbandoned is how long a key may stay in flight before its
// request is taken to have died with its process: creating a call takes
// milliseconds.
const idempotencyAbandoned = time.Minute

// maxIdempotencyKey bounds the Idempotency-Key header (Stripe's limit).
const maxIdempotencyKey = 255

// Messages of the Idempotency-Key answers.
const (
	msgIdempotencyKeyInvalid  = "Idempotency-Key must be 1 to 255 printable ASCII characters"
	msgIdempotencyKeyReused   = "Idempotency-Key was already used with a different request"
	msgIdempotencyKeyInFlight = "A request with this Idempotency-Key is still being processed; retry shortly"
)

// idempotent gives next Stripe's Idempotency-Key semantics: the first
// request with a key runs and its response is kept for 24 hours; a retry
// with the same key and the same request gets that response again (with
// Idempotent-Replayed: true) instead of acting twice; the same key with
// another request is a 422; a retry while the first still runs is a 409.
// Answers that a retry could change (400, 401, 403, 429, 5xx) are not
// kept, so a corrected or later retry runs. Requests without the header
// pass through untouched. next runs behind requireScope.
func idempotent(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := r.Header.Values("Idempotency-Key")
		if len(keys) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(keys) > 1 || !validIdempotencyKey(keys[0]) {
			writeError(w, r, cfg, badRequest(msgIdempotencyKeyInvalid))
			return
		}
		key := keys[0]
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		accountID, hash := tokenFrom(r.Context()).AccountID, requestHash(r, body)
		now := cfg.Now()
		begin := func() (*sipsim.IdempotencyRecord, error) {
			return cfg.Idempotency.BeginIdempotent(r.Context(), &sipsim.IdempotencyRecord{
				AccountID: accountID, Key: key, RequestHash: hash,
				CreatedAt: now, ExpiresAt: now.Add(idempotencyTTL),
			})
		}
		prev, err := begin()
		if err == nil && prev != nil && prev.Status == 0 && now.Sub(prev.CreatedAt) > idempotencyAbandoned {
			// The process that ran the first request died before storing
			// its answer. Free the key (only if still in flight) and take
			// it; of several retries racing here one wins, the others get
			// the in-flight 409.
			if err = cfg.Idempotency.ReleaseIdempotent(r.Context(), accountID, key); err == nil {
				prev, err = begin()
			}
		}
		switch {
		case err != nil:
			writeError(w, r, cfg, err)
		case prev == nil:
			runOnce(cfg, w, r, next, accountID, key)
		case prev.RequestHash != hash:
			writeError(w, r, cfg, sipsim.Errorf(sipsim.EUNPROCESSABLE, "%s", msgIdempotencyKeyReused))
		case prev.Status == 0:
			writeError(w, r, cfg, sipsim.Errorf(sipsim.ECONFLICT, "%s", msgIdempotencyKeyInFlight))
		default:
			replay(w, prev)
		}
	})
}

// runOnce serves the first request of a key and keeps or releases it.
func runOnce(cfg Config, w http.ResponseWriter, r *http.Request, next http.Handler, accountID int64, key string) {
	rec := &recordingWriter{ResponseWriter: w}
	// The outcome is stored even if the client has gone: its retry must
	// find it. A panic releases the key (its 500 is not kept).
	ctx := context.WithoutCancel(r.Context())
	defer func() {
		if v := recover(); v != nil {
			release(ctx, cfg, accountID, key)
			panic(v)
		}
	}()
	next.ServeHTTP(rec, r)
	if !keepResponse(rec.status) {
		release(ctx, cfg, accountID, key)
		return
	}
	if err := cfg.Idempotency.FinishIdempotent(ctx, accountID, key, rec.status, rec.body.Bytes()); err != nil {
		// The key stays in flight until it expires: retries get 409
		// rather than a second call.
		cfg.Logger.ErrorContext(ctx, "store idempotent response",
			"request_id", requestID(ctx), "key", key, "err", err)
	}
}

func release(ctx context.Context, cfg Config, accountID int64, key string) {
	if err := cfg.Idempotency.ReleaseIdempotent(ctx, accountID, key); err != nil {
		cfg.Logger.ErrorContext(ctx, "release idempotency key",
			"request_id", requestID(ctx), "key", key, "err", err)
	}
}

// keepResponse reports whether a response is final for its request: a
// created call, or a refusal a retry would get again (404, 409, 422).
// Anything else (bad input, auth, rate limit, server trouble) may go
// differently next time.
func keepResponse(status int) bool {
	switch status {
	case http.StatusCreated, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// replay answers with a kept response, byte for byte: its request_id and
// timestamp are the first request's; X-Request-Id is this request's.
func replay(w http.ResponseWriter, prev *sipsim.IdempotencyRecord) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(prev.Body)
}

// validIdempotencyKey: 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash identifies a request for its key: method, path and raw body.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method + "\n" + r.URL.Path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// recordingWriter passes a response through and keeps its status and body.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rw *recordingWriter) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recordingWriter) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	rw.body.Write(b)
	return rw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *recordingWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
