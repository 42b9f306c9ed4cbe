package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// baresip registered with node A is the employee (440 Hz), baresip on the
// trunk the customer (1000 Hz); the call is placed through node B's API.
// Each side hears the other, so the audio crossed node A's relay both
// ways; the call was recorded there, and node B serves the recording (it
// is in PostgreSQL, not on A's disk), whole and by range, with each side
// on its channel. (The name is short on purpose: baresip 1.0 cuts the
// paths of its WAV dumps at 127 characters, and t.TempDir holds it.)
func TestClusterAudioAndRecording(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip")
	trunkPort := sipPeerPort(t)
	cl := startCluster(t, 2, trunkPort)
	a, b := cl.apis[0], cl.apis[1]
	phone := cl.alice()
	a.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/phones/%d", phone.ID),
		map[string]any{"record_setting": map[string]any{"record_outbound_call": true}}, nil)

	employee := startBaresip(t, baresipConfig{
		Name:   "phone",
		Port:   sipPeerPort(t),
		ToneHz: phoneToneHz,
		Account: fmt.Sprintf("<sip:%d@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=3600;audio_codecs=PCMU,PCMA",
			phoneUser, cl.nodes[0].SIPPort, phonePassword),
		Seconds: 120,
	})
	waitRegistration(t, b, phone.ID, "registered", 20*time.Second)
	customer := startBaresip(t, baresipConfig{
		Name:    "carrier",
		Port:    trunkPort,
		ToneHz:  carrierToneHz,
		Account: fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA", targetNumber, trunkPort),
		Seconds: 2*minToneSeconds + 4,
	})

	c := b.createCall(phone.ID, targetNumber)
	waitCallStatus(t, b, c.ID, 20*time.Second, "in_progress")
	customer.wait(60 * time.Second)
	got := waitCallEnded(t, b, c.ID, 30*time.Second)
	if got.Status != "completed" || got.EndedReason == nil || *got.EndedReason != "target_hangup" {
		t.Fatalf("call ended %s/%v, want completed/target_hangup", got.Status, got.EndedReason)
	}
	expectTone(t, employee, "dec", "the employee to have heard the customer", carrierToneHz)
	expectTone(t, customer, "dec", "the customer to have heard the employee", phoneToneHz)

	var rc recordedCall
	waitFor(t, 20*time.Second, "the recording on node B", func() (bool, string) {
		b.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+c.ID, nil, &rc)
		return rc.Recording != nil, fmt.Sprintf("recording %+v", rc.Recording)
	})
	status, _, wav := getRecording(t, b, rc.Recording.URL, "")
	if status != http.StatusOK || int64(len(wav)) != rc.Recording.SizeBytes {
		t.Fatalf("GET %s on node B = %d, %d octets; want 200 and %d", rc.Recording.URL, status, len(wav), rc.Recording.SizeBytes)
	}
	left, right, rate := stereoWAV(t, wav)
	if rep := analyseTone(left, phoneToneHz, float64(rate)); rep.ToneWindows < minToneSeconds*10 {
		t.Errorf("recording, left channel: want the employee's %d Hz; %s", phoneToneHz, rep)
	}
	if rep := analyseTone(right, carrierToneHz, float64(rate)); rep.ToneWindows < minToneSeconds*10 {
		t.Errorf("recording, right channel: want the customer's %d Hz; %s", carrierToneHz, rep)
	}
	status, _, part := getRecording(t, a, rc.Recording.URL, "bytes=1000-1999")
	if status != http.StatusPartialContent || !bytes.Equal(part, wav[1000:2000]) {
		t.Errorf("GET %s Range bytes=1000-1999 on node A = %d, %d octets; want 206 and the same octets as node B served", rc.Recording.URL, status, len(part))
	}
}
