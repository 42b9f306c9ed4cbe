package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// audioFileView is the AudioFile object.
type audioFileView struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	ContentType     string  `json:"content_type"`
	SizeBytes       int64   `json:"size_bytes"`
	DurationSeconds float64 `json:"duration_seconds"`
	CreatedAt       string  `json:"created_at"`
	DownloadURL     string  `json:"download_url"`
}

// Uploading a 44.1 kHz stereo WAV and an MP3 (both made by sox) through the
// real binary: each comes back as 8 kHz mono with the 1 kHz tone, can be a
// phone's preroll, and cannot be deleted while it is.
func TestAudioFilesUploadConvertAndProtect(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{})
	a := newAPIClient(t, s, s.createToken(allScopes))
	dir := t.TempDir()

	var files []audioFileView
	for _, name := range []string{"welcome.wav", "welcome.mp3"} {
		path := filepath.Join(dir, name)
		if out, err := exec.Command("sox", "-n", "-r", "44100", "-c", "2", path, "synth", "2", "sine", "1000", "vol", "0.5").CombinedOutput(); err != nil {
			t.Fatalf("sox %s: %v: %s (MP3 needs libsox-fmt-mp3, see .ci/install-peers)", name, err, out)
		}
		f := uploadAudioFile(t, a, path)
		if f.Name != name || f.ContentType != "audio/wav" || f.DownloadURL != fmt.Sprintf("/api/v2/audio-files/%d/content", f.ID) {
			t.Errorf("uploaded %s = %+v", name, f)
		}
		// MP3 encoders pad the start and end by up to a couple of frames.
		if f.DurationSeconds < 1.99 || f.DurationSeconds > 2.1 {
			t.Errorf("%s: duration_seconds = %v, want about 2", name, f.DurationSeconds)
		}
		wav := download(t, a, f.DownloadURL)
		if int64(len(wav)) != f.SizeBytes {
			t.Errorf("%s: downloaded %d bytes, size_bytes says %d", name, len(wav), f.SizeBytes)
		}
		if ch := binary.LittleEndian.Uint16(wav[22:]); ch != 1 {
			t.Errorf("%s: converted file has %d channels, want mono", name, ch)
		}
		conv := filepath.Join(dir, "converted-"+name+".wav")
		if err := os.WriteFile(conv, wav, 0o600); err != nil {
			t.Fatal(err)
		}
		audio, err := readWAV(conv)
		if err != nil {
			t.Fatal(err)
		}
		rep := analyseTone(audio.Samples, 1000, float64(audio.Rate))
		if audio.Rate != 8000 || rep.ToneWindows < rep.Windows-2 {
			t.Errorf("%s: converted to %d Hz, %s; want 8000 Hz and the 1 kHz tone throughout", name, audio.Rate, rep)
		}
		files = append(files, f)
	}

	var list []audioFileView
	a.must(http.StatusOK, http.MethodGet, "/api/v2/audio-files", nil, &list)
	if len(list) != 2 || list[0] != files[0] || list[1] != files[1] {
		t.Errorf("GET /api/v2/audio-files = %+v, want %+v", list, files)
	}

	p := a.createPhone(phoneInput{Name: "Preroll", InternalNumber: 201, Number: "+33612345601", SIPPassword: "secret-201"})
	phonePath := fmt.Sprintf("/api/v2/phones/%d", p.ID)
	code, env := a.do(http.MethodPatch, phonePath, map[string]any{"audio_setting": map[string]any{"outbound_call_preroll_id": 999}})
	assertErrorEnvelope(t, code, env, http.StatusBadRequest, phonePath, "audio_setting.outbound_call_preroll_id: audio file 999 not found")
	a.must(http.StatusOK, http.MethodPatch, phonePath, map[string]any{"audio_setting": map[string]any{"outbound_call_preroll_id": files[0].ID}}, nil)

	filePath := fmt.Sprintf("/api/v2/audio-files/%d", files[0].ID)
	code, env = a.do(http.MethodDelete, filePath, nil)
	assertErrorEnvelope(t, code, env, http.StatusConflict, filePath,
		fmt.Sprintf("Audio file %d is used by phone %d (audio_setting.outbound_call_preroll_id)", files[0].ID, p.ID))

	a.must(http.StatusOK, http.MethodDelete, fmt.Sprintf("/api/v2/audio-files/%d", files[1].ID), nil, nil)
	code, env = a.do(http.MethodGet, fmt.Sprintf("/api/v2/audio-files/%d", files[1].ID), nil)
	assertErrorEnvelope(t, code, env, http.StatusNotFound, fmt.Sprintf("/api/v2/audio-files/%d", files[1].ID), "Audio file not found")
}

// uploadAudioFile POSTs the file at path as multipart/form-data.
func uploadAudioFile(t *testing.T, a *apiClient, path string) audioFileView {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, err := mw.CreateFormFile("file", filepath.Base(path))
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, a.base+"/api/v2/audio-files", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s = %d %v (%v)", path, resp.StatusCode, env.Errors, err)
	}
	var f audioFileView
	mustUnmarshal(t, env.Data, &f)
	return f
}

// download GETs a file's content.
func download(t *testing.T, a *apiClient, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" || len(b) < 44 {
		t.Fatalf("GET %s = %d %q, %d bytes (%v)", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b), err)
	}
	return b
}
