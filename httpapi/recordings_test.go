package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// fakeRecordings serves recordings from memory, keyed by call id.
type fakeRecordings struct {
	files map[string][]byte
}

type memFile struct {
	*bytes.Reader
	size int64
}

func (m memFile) Close() error       { return nil }
func (m memFile) Size() int64        { return m.size }
func (m memFile) ModTime() time.Time { return testNow }

func (f *fakeRecordings) OpenRecording(_ context.Context, _ int64, id string) (sipsim.RecordingFile, error) {
	b, ok := f.files[id]
	if !ok {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no recording")
	}
	return memFile{bytes.NewReader(b), int64(len(b))}, nil
}

func (f *fakeRecordings) DeleteRecording(_ context.Context, _ int64, id string) error {
	if _, ok := f.files[id]; !ok {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no recording")
	}
	delete(f.files, id)
	return nil
}

func TestRecordingDownloadRangeAndDelete(t *testing.T) {
	wav := bytes.Repeat([]byte("0123456789"), 100)
	recs := &fakeRecordings{files: map[string][]byte{"call_done": wav}}
	a := newTestAPIWith(t, func(c *Config) { c.Recordings = recs })
	const path = "/api/v2/calls/call_done/recording"

	rec := a.do(t, http.MethodGet, path, scopeToken(sipsim.ScopeCallsRead), "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(rec.Body.Bytes(), wav) {
		t.Fatalf("GET = %d %q, %d octets; want 200 audio/wav with the file", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	req := newRequest(http.MethodGet, path, "")
	req.Header.Set("Authorization", "Bearer "+tokAll)
	req.Header.Set("Range", "bytes=10-19")
	rec = serve(a, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "0123456789" || rec.Header().Get("Content-Range") != "bytes 10-19/1000" {
		t.Fatalf("Range GET = %d %q %q", rec.Code, rec.Header().Get("Content-Range"), rec.Body)
	}
	checkError(t, a.do(t, http.MethodDelete, path, scopeToken(sipsim.ScopeCallsRead), ""), http.StatusForbidden, path)

	var data json.RawMessage
	checkData(t, a.do(t, http.MethodDelete, path, scopeToken(sipsim.ScopeCallsWrite), ""), http.StatusOK, &data)
	jsonEqual(t, data, `{"id": "call_done", "deleted": true}`)
	checkErrorMessage(t, a.do(t, http.MethodGet, path, tokAll, ""), 404, path, "Recording not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, path, tokAll, ""), 404, path, "Recording not found")
}

func TestRecordingsAre404WithoutAStore(t *testing.T) {
	a := newTestAPI(t)
	const path = "/api/v2/calls/call_done/recording"
	checkErrorMessage(t, a.do(t, http.MethodGet, path, tokAll, ""), 404, path, "Recording not found")
}

func TestCallShowsItsRecording(t *testing.T) {
	a := newTestAPI(t)
	c, events := endedCall()
	c.HasRecording, c.RecordingDuration = true, 122.2625
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events
	var call wire.Call
	checkData(t, a.do(t, http.MethodGet, "/api/v2/calls/call_done", tokAll, ""), http.StatusOK, &call)
	want := wire.Recording{URL: "/api/v2/calls/call_done/recording", DurationSeconds: 122.263, SizeBytes: 44 + 978100*4}
	if call.Recording == nil || *call.Recording != want {
		t.Fatalf("recording = %+v, want %+v", call.Recording, want)
	}
}
