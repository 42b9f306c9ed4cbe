package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"testing"
	"time"
)

// recordingView is the call's recording member.
type recordingView struct {
	URL             string  `json:"url"`
	DurationSeconds float64 `json:"duration_seconds"`
	SizeBytes       int64   `json:"size_bytes"`
}

// recordedCall is the part of the Call object this test reads.
type recordedCall struct {
	ID        string         `json:"id"`
	Status    string         `json:"status"`
	Recording *recordingView `json:"recording"`
}

// A phone with record_outbound_call: baresip as the employee sends 440 Hz,
// baresip as the carrier 1000 Hz. The recording is a stereo WAV with the
// employee on the left and the customer on the right; it can be fetched
// whole or by range, recording.ready follows call.ended, and DELETE
// removes it.
func TestOutboundCallIsRecordedInStereo(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip")
	r := newRig(t, rigConfig{})
	r.api.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/phones/%d", r.phone.ID),
		map[string]any{"record_setting": map[string]any{"record_outbound_call": true}}, nil)
	stream := r.api.openSSE("/api/v2/events", "")

	_, carrier := startBaresipPair(t, r, false)

	c := r.startCall(t)
	waitCallStatus(t, r.api, c.ID, 20*time.Second, "in_progress")
	carrier.wait(60 * time.Second)
	waitCallEnded(t, r.api, c.ID, 30*time.Second)

	// The account stream: recording.ready comes after call.ended, with the
	// recording in its call.
	var types []string
	var ready eventJSON
	for deadline := time.Now().Add(30 * time.Second); ready.ID == 0; {
		ev, ok := stream.next(time.Until(deadline))
		if !ok {
			t.Fatalf("the event stream ended before recording.ready; got %v", types)
		}
		e := stream.decode(ev)
		if e.Data.Call.ID != c.ID {
			continue
		}
		types = append(types, e.Type)
		if e.Type == "recording.ready" {
			ready = e
			var rc struct {
				Data struct {
					Call recordedCall `json:"call"`
				} `json:"data"`
			}
			mustUnmarshal(t, json.RawMessage(ev.Data), &rc)
			if rc.Data.Call.Recording == nil {
				t.Errorf("recording.ready: the call has no recording")
			}
		}
	}
	if n := len(types); n < 2 || types[n-2] != "call.ended" {
		t.Errorf("events of the call = %v; want recording.ready right after call.ended", types)
	}

	var got recordedCall
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+c.ID, nil, &got)
	rec := got.Recording
	if rec == nil {
		t.Fatalf("GET /api/v2/calls/%s: recording is null after recording.ready", c.ID)
	}
	if want := "/api/v2/calls/" + c.ID + "/recording"; rec.URL != want {
		t.Errorf("recording.url = %q, want %q", rec.URL, want)
	}

	status, hdr, wav := getRecording(t, r.api, rec.URL, "")
	if status != http.StatusOK || hdr.Get("Content-Type") != "audio/wav" {
		t.Fatalf("GET %s = %d %s; want 200 audio/wav", rec.URL, status, hdr.Get("Content-Type"))
	}
	if int64(len(wav)) != rec.SizeBytes {
		t.Errorf("GET %s: %d octets; recording.size_bytes says %d", rec.URL, len(wav), rec.SizeBytes)
	}
	left, right, rate := stereoWAV(t, wav)
	secs := float64(len(left)) / float64(rate)
	if math.Abs(secs-rec.DurationSeconds) > 0.001 {
		t.Errorf("the WAV lasts %.3f s; recording.duration_seconds says %.3f", secs, rec.DurationSeconds)
	}
	if rep := analyseTone(left, phoneToneHz, float64(rate)); rep.ToneWindows < minToneSeconds*10 {
		t.Errorf("left channel: want the employee's %d Hz; %s", phoneToneHz, rep)
	}
	if rep := analyseTone(right, carrierToneHz, float64(rate)); rep.ToneWindows < minToneSeconds*10 {
		t.Errorf("right channel: want the customer's %d Hz; %s", carrierToneHz, rep)
	}
	if rep := analyseTone(left, carrierToneHz, float64(rate)); rep.ToneWindows > 0 {
		t.Errorf("left channel carries the customer's tone: %s", rep)
	}
	if rep := analyseTone(right, phoneToneHz, float64(rate)); rep.ToneWindows > 0 {
		t.Errorf("right channel carries the employee's tone: %s", rep)
	}

	// A player seeking: a range of the file, exactly those octets.
	status, hdr, part := getRecording(t, r.api, rec.URL, "bytes=1000-1999")
	if status != http.StatusPartialContent || !bytes.Equal(part, wav[1000:2000]) {
		t.Errorf("GET %s Range bytes=1000-1999 = %d, %d octets (equal: %v); want 206 and octets 1000..1999",
			rec.URL, status, len(part), bytes.Equal(part, wav[1000:2000]))
	}
	if want := fmt.Sprintf("bytes 1000-1999/%d", len(wav)); hdr.Get("Content-Range") != want {
		t.Errorf("Content-Range = %q, want %q", hdr.Get("Content-Range"), want)
	}

	var deleted struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	r.api.must(http.StatusOK, http.MethodDelete, rec.URL, nil, &deleted)
	if deleted.ID != c.ID || !deleted.Deleted {
		t.Errorf("DELETE %s data = %+v, want id %s deleted true", rec.URL, deleted, c.ID)
	}
	code, env := r.api.do(http.MethodGet, rec.URL, nil)
	if code != http.StatusNotFound || len(env.Errors) == 0 || env.Errors[0] != "Recording not found" {
		t.Errorf("GET %s after DELETE = %d %v, want 404 Recording not found", rec.URL, code, env.Errors)
	}
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+c.ID, nil, &got)
	if got.Recording != nil {
		t.Errorf("the call still has a recording after DELETE: %+v", got.Recording)
	}
}

// getRecording downloads a recording, with a Range header if rng is set.
func getRecording(t *testing.T, a *apiClient, path, rng string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// stereoWAV splits a canonical 16-bit stereo WAV into its channels, scaled
// to [-1, 1).
func stereoWAV(t *testing.T, b []byte) (left, right []float64, rate int) {
	t.Helper()
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a canonical WAV file: % x", b[:min(len(b), 44)])
	}
	channels, bits := binary.LittleEndian.Uint16(b[22:]), binary.LittleEndian.Uint16(b[34:])
	rate = int(binary.LittleEndian.Uint32(b[24:]))
	if channels != 2 || bits != 16 || rate != 8000 {
		t.Fatalf("WAV is %d channels, %d bits, %d Hz; want stereo 16-bit 8000 Hz", channels, bits, rate)
	}
	data := b[44:]
	if size := binary.LittleEndian.Uint32(b[40:]); int(size) != len(data) {
		t.Fatalf("data chunk says %d octets, the file holds %d", size, len(data))
	}
	for i := 0; i+4 <= len(data); i += 4 {
		left = append(left, float64(int16(binary.LittleEndian.Uint16(data[i:])))/32768)
		right = append(right, float64(int16(binary.LittleEndian.Uint16(data[i+2:])))/32768)
	}
	return left, right, rate
}
