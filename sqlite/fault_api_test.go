package sqlite

import (
	"encoding/json"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/audio"
	"github.com/sipsim/sipsim/httpapi"
)

// The API in front of a real store whose disk fills up: the user gets a
// 503 in the error envelope, not a 500, the data stored before is served
// as before, and once there is room the same request succeeds without a
// restart.
func TestAPIDiskFullAnswers503AndRecovers(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	do := apiOver(t, db)
	if rec := do(http.MethodPost, "/api/v2/tags", "application/json", []byte(`{"name": "kept"}`)); rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/v2/tags = %d %s", rec.Code, rec.Body)
	}
	upload, contentType := audioUpload(t)

	fillDisk(t, db)
	rec := do(http.MethodPost, "/api/v2/audio-files", contentType, upload)
	checkUnavailableEnvelope(t, rec, "/api/v2/audio-files", "disk is full")
	rec = do(http.MethodGet, "/api/v2/tags", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"kept"`) {
		t.Fatalf("GET /api/v2/tags on a full disk = %d %s; want the tag stored before", rec.Code, rec.Body)
	}
	checkIntegrity(t, db)

	freeDisk(t, db)
	if rec := do(http.MethodPost, "/api/v2/audio-files", contentType, upload); rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/v2/audio-files once space is freed = %d %s", rec.Code, rec.Body)
	}
}

// A database that cannot be read (its file replaced by something SQLite
// cannot open, as when a volume goes away) answers reads with 503, not
// 500, and serves them again as soon as the file is back.
func TestAPIUnreadableDatabaseAnswers503AndRecovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipsim.db")
	db := openTest(t, path, fixedClock())
	do := apiOver(t, db)
	if rec := do(http.MethodPost, "/api/v2/tags", "application/json", []byte(`{"name": "kept"}`)); rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/v2/tags = %d %s", rec.Code, rec.Body)
	}

	// Readers open new connections from now on, and the path is a
	// directory.
	db.reader.SetMaxIdleConns(0)
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"/api/v2/tags", "/api/v2/phones", "/api/v2/calls", "/api/v2/webhooks"} {
		checkUnavailableEnvelope(t, do(http.MethodGet, route, "", nil), route, "could not be opened")
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if rec := do(http.MethodGet, "/api/v2/tags", "", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"kept"`) {
		t.Fatalf("GET /api/v2/tags once the file is back = %d %s; want the tag stored before", rec.Code, rec.Body)
	}
}

// apiOver is the HTTP API in front of db, with a token of every scope; the
// function it returns sends one request with that token.
func apiOver(t *testing.T, db *DB) func(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	const secret = "fault-test-token"
	if err := db.CreateToken(t.Context(), &sipsim.Token{
		AccountID: sipsim.DefaultAccountID, Name: "test", Scopes: sipsim.AllScopes, Hash: sipsim.HashToken(secret),
	}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.NewServer(httpapi.Config{
		Tokens: db, Accounts: db, Phones: db, Registrations: db, ListVersions: db, Tags: db, Webhooks: db,
		Idempotency: db, Events: db, AudioFiles: db, Calls: noCalls{}, Bus: noBus{},
	})
	return func(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+secret)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec
	}
}

// checkUnavailableEnvelope checks a 503 in the documented error envelope.
func checkUnavailableEnvelope(t *testing.T, rec *httptest.ResponseRecorder, path, wantInMessage string) {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("status %d, body is not an envelope: %s", rec.Code, rec.Body)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if rec.Code != http.StatusServiceUnavailable || !slices.Equal(keys, []string{"errors", "path", "request_id", "status", "timestamp"}) {
		t.Fatalf("status %d, envelope keys %v: %s; want 503 with errors, path, request_id, status, timestamp", rec.Code, keys, rec.Body)
	}
	var e struct {
		Status    int      `json:"status"`
		Errors    []string `json:"errors"`
		Path      string   `json:"path"`
		RequestID string   `json:"request_id"`
		Timestamp string   `json:"timestamp"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("envelope %s: %v", rec.Body, err)
	}
	if e.Status != http.StatusServiceUnavailable || e.Path != path || e.RequestID == "" || e.RequestID != rec.Header().Get("X-Request-Id") || e.Timestamp == "" {
		t.Errorf("envelope %s: want status 503, path %s, the X-Request-Id, a timestamp", rec.Body, path)
	}
	if len(e.Errors) == 0 || !strings.Contains(e.Errors[0], wantInMessage) {
		t.Errorf("errors = %q, want the first to say %q", e.Errors, wantInMessage)
	}
}

// audioUpload is a multipart body with a minute of tone: about 1 MB once
// converted, far more than the free space of a full disk.
func audioUpload(t *testing.T) (body []byte, contentType string) {
	t.Helper()
	samples := make([]float32, 60*audio.SampleRate)
	for i := range samples {
		samples[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/audio.SampleRate))
	}
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile("file", "prompt.wav")
	if err == nil {
		_, err = w.Write(audio.EncodeWAV(samples, audio.SampleRate))
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b.String()), mw.FormDataContentType()
}

// noCalls and noBus stand in for the call service and the event bus, which
// the routes of these tests do not use.
type noCalls struct{ sipsim.CallService }

type noBus struct{}

func (noBus) Publish(*sipsim.CallEvent) {}

func (noBus) Subscribe(int64) (<-chan *sipsim.CallEvent, func()) { return nil, func() {} }
