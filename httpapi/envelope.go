package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// Every response of the API is one of these envelopes, written only by the
// functions of this file (event streams aside: they are not JSON).

// dataEnvelope is a success: {"status", "request_id", "timestamp", "data"}.
type dataEnvelope struct {
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// listEnvelope is a page of a paginated list: the success envelope plus
// next_cursor, null on the last page.
type listEnvelope struct {
	Status     int     `json:"status"`
	RequestID  string  `json:"request_id"`
	Timestamp  string  `json:"timestamp"`
	Data       any     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// errorEnvelope is a failure: {"status", "errors", "request_id",
// "timestamp", "path"}, plus "call_id" when the error is about a call
// (the one already placed, or the one the phone is on).
type errorEnvelope struct {
	Status    int      `json:"status"`
	Errors    []string `json:"errors"`
	RequestID string   `json:"request_id"`
	Timestamp string   `json:"timestamp"`
	Path      string   `json:"path"`
	CallID    string   `json:"call_id,omitempty"`
}

// maxBodyBytes bounds request bodies; the API's bodies are a few hundred
// bytes, so anything near this is a mistake or an attack.
const maxBodyBytes = 64 << 10

type requestIDKey struct{}

// withRequestID returns ctx carrying the request id put in every envelope.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestID returns the id of the request being served.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// envelopeTime formats the envelope timestamp: UTC, second precision, like
// the API document ("2024-01-15T10:30:00Z").
func envelopeTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// writeData answers status with data in the success envelope.
func writeData(w http.ResponseWriter, r *http.Request, cfg Config, status int, data any) {
	writeJSON(w, r, cfg, status, dataEnvelope{
		Status:    status,
		RequestID: requestID(r.Context()),
		Timestamp: envelopeTime(cfg.Now()),
		Data:      data,
	})
}

// writeList answers 200 with one page of a list and the cursor of the
// next page ("" for none).
func writeList(w http.ResponseWriter, r *http.Request, cfg Config, data any, next string) {
	env := listEnvelope{
		Status:    http.StatusOK,
		RequestID: requestID(r.Context()),
		Timestamp: envelopeTime(cfg.Now()),
		Data:      data,
	}
	if next != "" {
		env.NextCursor = &next
	}
	writeJSON(w, r, cfg, http.StatusOK, env)
}

// writeError answers err in the error envelope. Internal errors are logged
// with the request id and shown only as "Internal error".
func writeError(w http.ResponseWriter, r *http.Request, cfg Config, err error) {
	status, messages, internal := errorAnswer(err)
	id := requestID(r.Context())
	switch {
	case clientGone(r, err):
		// The client hung up (or timed out) while the request was served:
		// no fault of ours, and nobody reads the answer. Logged at info
		// with the request line; 503 says it was not done.
		status, messages = http.StatusServiceUnavailable, []string{"The request was cancelled before it completed"}
		cfg.Logger.InfoContext(r.Context(), "client went away before the answer",
			"request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	case internal:
		cfg.Logger.ErrorContext(r.Context(), "internal error",
			"request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	case status >= http.StatusInternalServerError:
		// A 503 (database full or locked, shutting down) is the
		// operator's to fix: keep its cause, which the user does not see.
		cfg.Logger.WarnContext(r.Context(), "service unavailable",
			"request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	setRateLimitHeaders(w.Header(), err, cfg.Now())
	writeJSON(w, r, cfg, status, errorEnvelope{
		Status:    status,
		Errors:    messages,
		RequestID: id,
		Timestamp: envelopeTime(cfg.Now()),
		Path:      r.URL.Path,
		CallID:    sipsim.ErrorCallID(err),
	})
}

// clientGone reports whether err is the request's own context ending: the
// client closed the connection or the server cut a request past its time.
func clientGone(r *http.Request, err error) bool {
	ctxErr := r.Context().Err()
	return ctxErr != nil && errors.Is(err, ctxErr)
}

func writeJSON(w http.ResponseWriter, r *http.Request, cfg Config, status int, v any) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	// Encode writes what json.Marshal would, and the newline after it,
	// into a buffer kept between requests: a list of 100 phones is 80 KB,
	// which Marshal allocated and the newline copied once more.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Only a programming error gets here (an unencodable value): log
		// it and keep the envelope promise with a body that always encodes.
		cfg.Logger.ErrorContext(r.Context(), "encode response",
			"request_id", requestID(r.Context()), "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(buf).Encode(errorEnvelope{
			Status:    status,
			Errors:    []string{"Internal error"},
			RequestID: requestID(r.Context()),
			Timestamp: envelopeTime(cfg.Now()),
			Path:      r.URL.Path,
		})
	}
	sendJSON(w, status, buf)
}

// writeRendered answers 200 with a list whose data is already encoded:
// the bytes writeData, or writeList when paginated, would send for it
// (TestRenderedListIsWhatWriteListSends keeps them equal).
func writeRendered(w http.ResponseWriter, r *http.Request, cfg Config, rl *renderedList, paginated bool) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.WriteString(`{"status":200,"request_id":`)
	writeJSONString(buf, requestID(r.Context()))
	buf.WriteString(`,"timestamp":`)
	writeJSONString(buf, envelopeTime(cfg.Now()))
	buf.WriteString(`,"data":`)
	buf.Write(rl.data)
	if paginated {
		buf.WriteString(`,"next_cursor":`)
		if rl.next == "" {
			buf.WriteString("null")
		} else {
			writeJSONString(buf, rl.next)
		}
	}
	buf.WriteString("}\n")
	sendJSON(w, http.StatusOK, buf)
}

// writeJSONString writes s as encoding/json would, escapes included.
func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
}

// sendJSON answers status with the JSON in buf.
func sendJSON(w http.ResponseWriter, status int, buf *bytes.Buffer) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// encodeBuffers holds response buffers between requests.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxKeptBuffer is the largest buffer put back in the pool: one huge
// response (a page of 500 calls) should not pin its memory for ever.
const maxKeptBuffer = 1 << 20

func putEncodeBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxKeptBuffer {
		return
	}
	buf.Reset()
	encodeBuffers.Put(buf)
}

// errNotObject is the answer to any body that is not exactly one JSON object.
var errNotObject = badRequest("request body must be a JSON object")

// readObject reads a request body of at most maxBodyBytes that must be one
// JSON object, and returns its members for the typed readers of fields.go.
func readObject(w http.ResponseWriter, r *http.Request) (*object, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return parseObject(body)
}

// readBody reads a request body of at most maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, bodyReadError(err, &httpError{
			status:   http.StatusRequestEntityTooLarge,
			messages: []string{fmt.Sprintf("request body must not exceed %d bytes", maxBodyBytes)},
		}, badRequest("request body could not be read"))
	}
	return body, nil
}

// bodyReadError tells why a body could not be read: tooLarge past its
// limit, 408 when the client did not send it within the server's read
// timeout (a slow client holding the connection), otherwise malformed.
func bodyReadError(err, tooLarge, malformed error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return &httpError{status: http.StatusRequestTimeout, messages: []string{"request body was not received in time"}}
	}
	return malformed
}

// parseObject decodes body as one JSON object. A syntax error, another JSON
// type (including null) or trailing data are all "not a JSON object"; text
// that is not UTF-8 and a member given twice are refused too (see
// json_strict.go).
func parseObject(body []byte) (*object, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errNotObject
	}
	if err := checkUTF8(trimmed); err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &members); err != nil {
		return nil, errNotObject
	}
	if err := duplicateMember(trimmed); err != nil {
		return nil, err
	}
	return newObject(members), nil
}
