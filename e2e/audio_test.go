package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Real audio through the bridge: baresip is the employee's softphone
// sending a 440 Hz tone and the carrier (answering the trunk's INVITE on
// its listen port) sending 1000 Hz. Each must hear the other's tone.
const (
	phoneToneHz = 440
	// minToneSeconds of the other side's tone must be heard: the call
	// lasts about twice as long.
	minToneSeconds = 3
)

func TestAudioFlowsBothWaysWithBaresip(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip")
	r := newRig(t, rigConfig{})

	phone, carrier := startBaresipPair(t, r, true)

	c := r.startCall(t)
	waitCallStatus(t, r.api, c.ID, 20*time.Second, "in_progress")
	carrier.wait(60 * time.Second)
	got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
	// call.target_ringing is recorded only if the carrier sent a 180: its
	// SIP trace says whether it did.
	events, statuses := answeredEvents, answeredStatuses
	if !strings.Contains(carrier.output(), "\nSIP/2.0 180 ") {
		events = []string{"call.created", "call.ringing_agent", "call.agent_answered", "call.answered", "call.ended"}
		statuses = []string{"initiating", "ringing_agent", "dialing_target", "in_progress", "completed"}
	}
	assertCall(t, got, callWant{
		Status: "completed", Reason: "target_hangup",
		Events: events, Statuses: statuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})

	// The phone's dump is complete once baresip ends its call.
	expectTone(t, phone, "dec", "the phone to have heard the carrier", carrierToneHz)
	expectTone(t, carrier, "dec", "the carrier to have heard the phone", phoneToneHz)
}

// expectTone waits until b's WAV dump of kind holds at least
// minToneSeconds of freq, and fails with what it holds otherwise.
func expectTone(t *testing.T, b *baresipProc, kind, what string, freq float64) {
	t.Helper()
	waitFor(t, 15*time.Second, fmt.Sprintf("%s (%v Hz)", what, freq), func() (bool, string) {
		w, err := b.audio(kind)
		if err != nil {
			return false, err.Error()
		}
		rep := analyseTone(w.Samples, freq, float64(w.Rate))
		return rep.ToneWindows >= minToneSeconds*10, rep.String()
	})
}

// startBaresipPair starts baresip as Alice's phone (sending phoneToneHz,
// answering by itself) and waits for it to register, then baresip as the
// carrier (sending carrierToneHz). The carrier is an account that never
// registers; its user is the target number so that the trunk's INVITE
// finds it. Quitting (-t) it hangs up: the call lasts about its lifetime
// minus the set-up, enough for minToneSeconds of each tone.
func startBaresipPair(t *testing.T, r *rig, carrierSIPTrace bool) (phone, carrier *baresipProc) {
	t.Helper()
	phone = startBaresip(t, baresipConfig{
		Name:   "phone",
		Port:   sipPeerPort(t),
		ToneHz: phoneToneHz,
		Account: fmt.Sprintf("<sip:%d@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=3600;audio_codecs=PCMU,PCMA",
			phoneUser, r.srv.SIPPort, phonePassword),
		Seconds: 120,
	})
	waitRegistration(t, r.api, r.phone.ID, "registered", 20*time.Second)
	carrier = startBaresip(t, baresipConfig{
		Name:     "carrier",
		Port:     r.trunkPort,
		ToneHz:   carrierToneHz,
		Account:  fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA", targetNumber, r.trunkPort),
		Seconds:  2*minToneSeconds + 4,
		SIPTrace: carrierSIPTrace,
	})
	return phone, carrier
}
