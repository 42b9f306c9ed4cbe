package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// The preroll: an uploaded audio file the employee hears once they answer
// a click-to-call. It is a 700 Hz tone here, so that the phone's recording
// tells it apart from the ringback (425 Hz) and the carrier (1000 Hz).
const (
	prerollHz      = 700
	prerollSeconds = 3
)

// toneTimeline says, for each 100 ms window of x, which of freqs carries
// it (0 for none).
func toneTimeline(x []float64, rate float64, freqs ...float64) []float64 {
	n := int(rate / 10)
	var out []float64
	for i := 0; i+n <= len(x); i += n {
		w := x[i : i+n]
		found := 0.0
		if rms(w) > 0.005 {
			for _, f := range freqs {
				if toneShare(w, f, rate) > 0.5 {
					found = f
				}
			}
		}
		out = append(out, found)
	}
	return out
}

// windowsOf counts the windows of a timeline carrying freq, and the first
// and last of them (-1 when none).
func windowsOf(timeline []float64, freq float64) (count, first, last int) {
	first, last = -1, -1
	for i, f := range timeline {
		if f == freq {
			count++
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return count, first, last
}

func legTime(t *testing.T, what string, s *string) time.Time {
	t.Helper()
	if s == nil {
		t.Fatalf("%s is null", what)
	}
	at, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestPrerollPlaysToTheEmployee(t *testing.T) {
	for _, wait := range []int{1, 0} {
		t.Run(fmt.Sprintf("wait_preroll_dial=%d", wait), func(t *testing.T) {
			t.Parallel()
			requirePeers(t, "baresip", "sipp")
			// The carrier rings 1 s, then talks 3 s and hangs up.
			r := newRig(t, rigConfig{Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", RingMS: 1000, Args: []string{"-d", "3000"}}})

			path := filepath.Join(t.TempDir(), "preroll.wav")
			if err := writeWAV(path, 8000, sine(prerollHz, 8000, prerollSeconds, 0.4)); err != nil {
				t.Fatal(err)
			}
			file := uploadAudioFile(t, r.api, path)
			r.api.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/phones/%d", r.phone.ID), map[string]any{
				"audio_setting": map[string]any{"outbound_call_preroll_id": file.ID, "wait_preroll_dial": wait},
			}, nil)
			phone := startBaresip(t, baresipConfig{
				Name:   "phone",
				Port:   sipPeerPort(t),
				ToneHz: phoneToneHz,
				Account: fmt.Sprintf("<sip:%d@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=3600;audio_codecs=PCMU,PCMA",
					phoneUser, r.srv.SIPPort, phonePassword),
				Seconds: 60,
			})
			waitRegistration(t, r.api, r.phone.ID, "registered", 20*time.Second)

			c := r.startCall(t)
			if code := r.carrier.wait(60 * time.Second); code != 0 {
				t.Errorf("carrier SIPp exit code %d", code)
			}
			got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
			if got.Status != "completed" {
				t.Fatalf("call %s", describeCall(got))
			}
			answered := legTime(t, "agent_leg.answered_at", got.AgentLeg.AnsweredAt)
			dialled := legTime(t, "target_leg.started_at", got.TargetLeg.StartedAt)
			// The preroll's last 20 ms packet leaves 20 ms before the end of
			// its audio, and both times are stamped as the steps are stored:
			// allow one 100 ms window.
			prerollEnd := answered.Add(prerollSeconds*time.Second - 100*time.Millisecond)

			phone.stop()
			w, err := phone.audio("dec")
			if err != nil {
				t.Fatal(err)
			}
			timeline := toneTimeline(w.Samples, float64(w.Rate), prerollHz, 425, carrierToneHz)
			pre, preFirst, preLast := windowsOf(timeline, prerollHz)
			carrier, carrierFirst, _ := windowsOf(timeline, carrierToneHz)
			t.Logf("phone heard: preroll %d windows (%d–%d), carrier %d from %d; target dialled %v after the answer",
				pre, preFirst, preLast, carrier, carrierFirst, dialled.Sub(answered))
			if pre == 0 || carrier == 0 || preFirst > carrierFirst {
				t.Fatalf("phone heard the preroll in %d windows (first %d), the carrier in %d (first %d): the preroll must come first",
					pre, preFirst, carrier, carrierFirst)
			}
			if wait == 1 {
				// The whole preroll, and only then is the customer dialled.
				if pre < (prerollSeconds-1)*10 || preLast > carrierFirst {
					t.Errorf("phone heard %d windows of the preroll, last at %d, carrier from %d: want all %d s of it before the customer",
						pre, preLast, carrierFirst, prerollSeconds)
				}
				if dialled.Before(prerollEnd) {
					t.Errorf("target dialled %v after the answer, before the %d s preroll ended", dialled.Sub(answered), prerollSeconds)
				}
			} else {
				// Dialled at once; the customer's answer cuts the preroll.
				if !dialled.Before(prerollEnd) {
					t.Errorf("target dialled %v after the answer: with wait_preroll_dial 0 it must be dialled while the preroll plays", dialled.Sub(answered))
				}
				if pre >= prerollSeconds*10 {
					t.Errorf("phone heard the whole preroll (%d windows) although the customer answered during it", pre)
				}
			}
		})
	}
}
