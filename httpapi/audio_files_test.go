package httpapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/audio"
	"github.com/sipsim/sipsim/wire"
)

// toneWAV is a 16-bit mono WAV of seconds of a 1 kHz tone at rate.
func toneWAV(rate int, seconds float64) []byte {
	s := make([]float32, int(seconds*float64(rate)))
	for i := range s {
		s[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate)))
	}
	return audio.EncodeWAV(s, rate)
}

// formPart is one part of a multipart upload; fileName "" makes a plain
// field.
type formPart struct {
	field, fileName string
	data            []byte
}

func multipartBody(t testing.TB, parts ...formPart) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var (
			w   interface{ Write([]byte) (int, error) }
			err error
		)
		if p.fileName != "" {
			w, err = mw.CreateFormFile(p.field, p.fileName)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// upload POSTs a multipart body to /api/v2/audio-files.
func (a *testAPI) upload(t testing.TB, token string, parts ...formPart) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	req := httptest.NewRequest(http.MethodPost, "/api/v2/audio-files", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	return serve(a, req)
}

// addAudioFile stores a converted one-second tone as file id of account.
func (a *testAPI) addAudioFile(t testing.TB, account int64, name string) *sipsim.AudioFile {
	t.Helper()
	f := &sipsim.AudioFile{AccountID: account, Name: name, ContentType: sipsim.AudioFileContentType, DurationSeconds: 1}
	if err := a.audio.CreateAudioFile(t.Context(), f, toneWAV(audio.SampleRate, 1)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCreateAudioFile(t *testing.T) {
	a := newTestAPI(t)
	rec := a.upload(t, scopeToken(sipsim.ScopePhonesWrite), formPart{"file", "welcome.wav", toneWAV(16000, 1.5)})
	var data json.RawMessage
	checkData(t, rec, http.StatusCreated, &data)
	size := a.audio.files[1].SizeBytes
	jsonEqual(t, data, fmt.Sprintf(`{"id": 1, "name": "welcome.wav", "content_type": "audio/wav", "size_bytes": %d,
		"duration_seconds": 1.5, "created_at": "2024-01-15T10:30:00Z", "download_url": "/api/v2/audio-files/1/content"}`, size))
	if got := rec.Header().Get("Location"); got != "/api/v2/audio-files/1" {
		t.Errorf("Location = %q", got)
	}
	stored := a.audio.data[1]
	if rate := binary.LittleEndian.Uint32(stored[24:]); rate != 8000 || size != 44+2*12000 {
		t.Errorf("stored file: %d Hz, %d bytes; want the 8 kHz mono conversion (%d bytes)", rate, size, 44+2*12000)
	}

	var f wire.AudioFile
	checkData(t, a.upload(t, tokAll, formPart{"name", "", []byte("  Greeting ")}, formPart{"file", `C:\prompts\x.wav`, toneWAV(8000, 0.5)}),
		http.StatusCreated, &f)
	if f.Name != "Greeting" || f.DurationSeconds != 0.5 {
		t.Errorf("named upload = %+v; want name Greeting, 0.5 s", f)
	}
	checkData(t, a.upload(t, tokAll, formPart{"file", `C:\prompts\hold.wav`, toneWAV(8000, 0.5)}), http.StatusCreated, &f)
	if f.Name != "hold.wav" {
		t.Errorf("name from a Windows path = %q; want hold.wav", f.Name)
	}
}

func TestCreateAudioFileInvalid(t *testing.T) {
	wav := toneWAV(8000, 0.1)
	tests := []struct {
		name   string
		parts  []formPart
		status int
		want   string
	}{
		{"not audio", []formPart{{"file", "notes.txt", []byte("hello, world")}}, 400, "file must be a WAV or MP3 audio file"},
		{"no file", []formPart{{"name", "", []byte("x")}}, 400, "file is required"},
		{"two files", []formPart{{"file", "a.wav", wav}, {"file", "b.wav", wav}}, 400, "file must be given once"},
		{"two names", []formPart{{"name", "", []byte("a")}, {"name", "", []byte("b")}, {"file", "a.wav", wav}}, 400, "name must be given once"},
		{"unknown field", []formPart{{"file", "a.wav", wav}, {"colour", "", []byte("red")}}, 400, `unknown form field "colour"`},
		{"blank name", []formPart{{"name", "", []byte("  ")}, {"file", "a.wav", wav}}, 400, "name must not be empty (give a name field or a file name)"},
		{"long name", []formPart{{"name", "", []byte(strings.Repeat("é", 256))}, {"file", "a.wav", wav}}, 400, "name must be valid UTF-8 of at most 255 characters"},
		{"too large", []formPart{{"file", "big.wav", make([]byte, maxAudioUpload+1)}}, 413, "file must not exceed 10485760 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t)
			checkErrorMessage(t, a.upload(t, tokAll, tt.parts...), tt.status, "/api/v2/audio-files", tt.want)
			if len(a.audio.files) != 0 {
				t.Error("a file was stored")
			}
		})
	}

	a := newTestAPI(t)
	rec := a.do(t, http.MethodPost, "/api/v2/audio-files", tokAll, `{"file": "x"}`)
	checkErrorMessage(t, rec, 400, "/api/v2/audio-files", "request body must be multipart/form-data with a file field")
	body, ct := multipartBody(t, formPart{"file", "a.wav", wav})
	req := httptest.NewRequest(http.MethodPost, "/api/v2/audio-files", bytes.NewReader(body[:len(body)-10]))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+tokAll)
	checkErrorMessage(t, serve(a, req), 400, "/api/v2/audio-files", "request body must be multipart/form-data with a file field")
	checkErrorMessage(t, a.upload(t, scopeToken(sipsim.ScopePhonesRead), formPart{"file", "a.wav", wav}), 403,
		"/api/v2/audio-files", "This token lacks the phones.write scope")
	a.audio.err = errors.New("disk full")
	checkErrorMessage(t, a.upload(t, tokAll, formPart{"file", "a.wav", wav}), 500, "/api/v2/audio-files", "Internal error")
}

func TestListAndGetAudioFiles(t *testing.T) {
	a := newTestAPI(t)
	first := a.addAudioFile(t, 1, "one.wav")
	a.addAudioFile(t, 2, "another account's")
	third := a.addAudioFile(t, 1, "three.wav")
	var list []wire.AudioFile
	checkData(t, a.do(t, http.MethodGet, "/api/v2/audio-files", scopeToken(sipsim.ScopePhonesRead), ""), 200, &list)
	if want := []wire.AudioFile{wire.NewAudioFile(first), wire.NewAudioFile(third)}; !slices.Equal(list, want) {
		t.Errorf("list = %+v; want %+v", list, want)
	}
	var one wire.AudioFile
	checkData(t, a.do(t, http.MethodGet, "/api/v2/audio-files/3", tokAll, ""), 200, &one)
	if one != wire.NewAudioFile(third) {
		t.Errorf("get = %+v", one)
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files/2", tokAll, ""), 404, "/api/v2/audio-files/2", "Audio file not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files/x", tokAll, ""), 400, "/api/v2/audio-files/x", "id must be a positive integer")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files?x=1", tokAll, ""), 400, "/api/v2/audio-files", `unknown query parameter "x"`)
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files", tokNone, ""), 403, "/api/v2/audio-files", "This token lacks the phones.read scope")
	a.audio.err = errors.New("disk gone")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files", tokAll, ""), 500, "/api/v2/audio-files", "Internal error")
}

func TestAudioFileContent(t *testing.T) {
	a := newTestAPI(t)
	f := a.addAudioFile(t, 1, "one.wav")
	want := a.audio.data[f.ID]
	rec := a.do(t, http.MethodGet, "/api/v2/audio-files/1/content", scopeToken(sipsim.ScopePhonesRead), "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("content = %d %q, %d bytes; want 200 audio/wav, the stored %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), len(want))
	}
	req := newRequest(http.MethodGet, "/api/v2/audio-files/1/content", "")
	req.Header.Set("Authorization", "Bearer "+tokAll)
	req.Header.Set("Range", "bytes=0-43")
	rec = serve(a, req)
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), want[:44]) ||
		rec.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-43/%d", len(want)) {
		t.Errorf("range = %d, %q, %d bytes; want 206 and the WAV header", rec.Code, rec.Header().Get("Content-Range"), rec.Body.Len())
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files/1/content", tokOther, ""), 404, "/api/v2/audio-files/1/content", "Audio file not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/audio-files/0/content", tokAll, ""), 400, "/api/v2/audio-files/0/content", "id must be a positive integer")
}

func TestDeleteAudioFile(t *testing.T) {
	a := newTestAPI(t)
	a.addAudioFile(t, 1, "one.wav")
	a.addAudioFile(t, 1, "two.wav")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/audio-files/1", scopeToken(sipsim.ScopePhonesRead), ""), 403,
		"/api/v2/audio-files/1", "This token lacks the phones.write scope")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/audio-files/1", tokOther, ""), 404, "/api/v2/audio-files/1", "Audio file not found")
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/audio-files/1", scopeToken(sipsim.ScopePhonesWrite), ""), 200, &data)
	jsonEqual(t, data, `{"id": 1, "deleted": true}`)
	if _, ok := a.audio.files[1]; ok {
		t.Error("file 1 still stored")
	}
	a.audio.inUse = sipsim.Errorf(sipsim.ECONFLICT, "Audio file 2 is used by phone 123 (audio_setting.outbound_call_preroll_id)")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/audio-files/2", tokAll, ""), 409, "/api/v2/audio-files/2",
		"Audio file 2 is used by phone 123 (audio_setting.outbound_call_preroll_id)")
}

func TestPhoneAudioFileMustExist(t *testing.T) {
	a := newTestAPI(t)
	a.addAudioFile(t, 1, "one.wav")
	a.addAudioFile(t, 2, "another account's")
	body := `{"name": "P", "internal_number": 102, "number": "+33612345679",
		"audio_setting": {"outbound_call_preroll_id": 2, "no_answer_file_id": 1},
		"voicemail_setting": {"voicemail_file_id": 9}}`
	errs := checkError(t, a.do(t, http.MethodPost, "/api/v2/phones", tokAll, body), 400, "/api/v2/phones")
	if want := []string{"audio_setting.outbound_call_preroll_id: audio file 2 not found", "voicemail_setting.voicemail_file_id: audio file 9 not found"}; !slices.Equal(errs, want) {
		t.Errorf("errors = %q; want %q", errs, want)
	}
	var p wire.Phone
	checkData(t, a.do(t, http.MethodPost, "/api/v2/phones", tokAll, `{"name": "P", "internal_number": 102, "number": "+33612345679",
		"audio_setting": {"inbound_call_preroll_id": 1, "outbound_call_preroll_id": 1, "no_answer_file_id": 1},
		"voicemail_setting": {"voicemail_file_id": 1}}`), 201, &p)
	path := fmt.Sprintf("/api/v2/phones/%d", p.ID)
	checkErrorMessage(t, a.do(t, http.MethodPatch, path, tokAll, `{"audio_setting": {"inbound_call_preroll_id": 5}}`), 400, path,
		"audio_setting.inbound_call_preroll_id: audio file 5 not found")

	// A phone saved before files were checked keeps its stale id through
	// edits of other fields.
	stale := documentPhone()
	stale.AudioSetting.NoAnswerFileID = ptr(int64(77))
	a.addPhone(stale)
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/phones/123", tokAll, `{"name": "Renamed"}`), 200, nil)

	a.audio.err = errors.New("disk gone")
	checkErrorMessage(t, a.do(t, http.MethodPatch, path, tokAll, `{"audio_setting": {"inbound_call_preroll_id": 5}}`), 500, path, "Internal error")
}

// TestOpenAPIAudioFileSchemas compares real audio file responses with the
// document's schemas.
func TestOpenAPIAudioFileSchemas(t *testing.T) {
	o := loadOpenAPI(t)
	a := newTestAPI(t)
	check := func(where string, rec *httptest.ResponseRecorder, status int, data schema) {
		t.Helper()
		if rec.Code != status {
			t.Fatalf("%s = %d: %s", where, rec.Code, rec.Body)
		}
		body := decodeAny(t, rec.Body.Bytes()).(map[string]any)
		for _, p := range o.check(where, o.component("schemas", "Envelope"), body, true) {
			t.Error(p)
		}
		for _, p := range o.check(where+" data", data, body["data"], true) {
			t.Error(p)
		}
	}
	check("POST", a.upload(t, tokAll, formPart{"file", "a.wav", toneWAV(8000, 0.2)}), 201, schemaRef("AudioFile"))
	check("GET list", a.do(t, http.MethodGet, "/api/v2/audio-files", tokAll, ""), 200, arrayOf("AudioFile"))
	check("GET one", a.do(t, http.MethodGet, "/api/v2/audio-files/1", tokAll, ""), 200, schemaRef("AudioFile"))
	check("DELETE", a.do(t, http.MethodDelete, "/api/v2/audio-files/1", tokAll, ""), 200, schemaRef("Deleted"))
}

// FuzzUploadAudioFile sends arbitrary multipart bodies: the answer is a
// 201 or a 4xx in the error envelope, never a 500 or a panic.
func FuzzUploadAudioFile(f *testing.F) {
	good, _ := multipartBody(f, formPart{"file", "a.wav", toneWAV(8000, 0.05)})
	named, _ := multipartBody(f, formPart{"name", "", []byte("x")}, formPart{"file", "b.wav", toneWAV(11025, 0.05)})
	f.Add(good)
	f.Add(named)
	f.Add([]byte("--" + fuzzBoundary + "--\r\n"))
	a := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		// The bodies above were made with a random boundary: use the one
		// they carry, so the seeds parse.
		boundary := fuzzBoundary
		if i := bytes.Index(body, []byte("\r\n")); i > 2 && body[0] == '-' && body[1] == '-' {
			boundary = string(body[2:i])
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v2/audio-files", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=\""+strings.ReplaceAll(boundary, `"`, "")+"\"")
		req.Header.Set("Authorization", "Bearer "+tokAll)
		rec := serve(a, req)
		if rec.Code != http.StatusCreated && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

const fuzzBoundary = "sipsimfuzz"
