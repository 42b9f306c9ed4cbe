package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Calls dialled on the phone itself: baresip is the employee's softphone
// and dials, instead of the API placing the call.

// baresipPhone is baresip as phone user/password at the server, sending
// toneHz, answering by itself, running commands once up.
func baresipPhone(t *testing.T, r *rig, name string, user int, password string, toneHz, seconds int, commands ...string) *baresipProc {
	t.Helper()
	return startBaresip(t, baresipConfig{
		Name:   name,
		Port:   sipPeerPort(t),
		ToneHz: toneHz,
		Account: fmt.Sprintf("<sip:%d@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=3600;audio_codecs=PCMU,PCMA",
			user, r.srv.SIPPort, password),
		Seconds:  seconds,
		Commands: commands,
	})
}

// handsetCall waits for the phone's one handset call to appear in the call
// list and returns its id.
func handsetCall(t *testing.T, r *rig, phoneID int64) string {
	t.Helper()
	var id string
	waitFor(t, 30*time.Second, "a handset call in GET /api/v2/calls?source=handset", func() (bool, string) {
		var calls []callView
		r.api.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/calls?source=handset&phone_id=%d", phoneID), nil, &calls)
		if len(calls) == 1 {
			id = calls[0].ID
		}
		return len(calls) == 1, fmt.Sprintf("%d calls", len(calls))
	})
	return id
}

// callMember reads one member of GET /api/v2/calls/{id} as raw JSON.
func callMember(t *testing.T, r *rig, id, member string) json.RawMessage {
	t.Helper()
	var call map[string]json.RawMessage
	r.api.must(http.StatusOK, http.MethodGet, "/api/v2/calls/"+id, nil, &call)
	return call[member]
}

// A number dialled on the handset goes out through the trunk under the
// phone's caller ID, is recorded as the phone's setting says, is listed as
// a handset call, and both sides hear each other.
func TestHandsetCallGoesOutThroughTheTrunk(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip")
	const outbound = "+33987654321"
	r := newRig(t, rigConfig{})
	r.api.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/phones/%d", r.phone.ID), map[string]any{
		"outbound_setting": map[string]any{"outbound_number": outbound},
		"record_setting":   map[string]any{"record_outbound_call": true},
	}, nil)
	carrier := startBaresip(t, baresipConfig{
		Name:     "carrier",
		Port:     r.trunkPort,
		ToneHz:   carrierToneHz,
		Account:  fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA", targetNumber, r.trunkPort),
		Seconds:  2*minToneSeconds + 6,
		SIPTrace: true,
	})
	phone := baresipPhone(t, r, "phone", phoneUser, phonePassword, phoneToneHz, 60, "/dial "+targetNumber)

	id := handsetCall(t, r, r.phone.ID)
	carrier.wait(60 * time.Second)
	got := waitCallEnded(t, r.api, id, 30*time.Second)
	if got.Status != "completed" || got.TargetNumber != targetNumber || got.CallerID != outbound {
		t.Errorf("handset call: %s to %s under %s; want completed to %s under %s", got.Status, got.TargetNumber, got.CallerID, targetNumber, outbound)
	}
	var source, direction string
	mustUnmarshal(t, callMember(t, r, id, "source"), &source)
	mustUnmarshal(t, callMember(t, r, id, "direction"), &direction)
	if source != "handset" || direction != "outbound" {
		t.Errorf("source %q, direction %q; want handset, outbound", source, direction)
	}
	if pai := "P-Asserted-Identity: <sip:" + outbound + "@"; !strings.Contains(carrier.output(), pai) {
		t.Errorf("the carrier's INVITE has no %q", pai)
	}
	if rec := string(callMember(t, r, id, "recording")); rec == "null" || rec == "" {
		t.Errorf("recording = %s; record_outbound_call applies to handset calls too", rec)
	}
	expectTone(t, phone, "dec", "the phone to have heard the carrier", carrierToneHz)
	expectTone(t, carrier, "dec", "the carrier to have heard the phone", phoneToneHz)
}

// Dialling a colleague's internal number rings their phone; the call is
// internal and both hear each other.
func TestInternalCallRingsTheOtherPhone(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip")
	const bobUser, bobPassword, bobToneHz = 102, "secret-102", 1000
	r := newRig(t, rigConfig{})
	bob := r.api.createPhone(phoneInput{Name: "Bob", InternalNumber: bobUser, Number: "+33612345679", SIPPassword: bobPassword})
	bobPhone := baresipPhone(t, r, "bob", bobUser, bobPassword, bobToneHz, 60)
	waitRegistration(t, r.api, bob.ID, "registered", 20*time.Second)
	alice := baresipPhone(t, r, "alice", phoneUser, phonePassword, phoneToneHz, 2*minToneSeconds+6, fmt.Sprintf("/dial %d", bobUser))

	id := handsetCall(t, r, r.phone.ID)
	alice.wait(60 * time.Second)
	got := waitCallEnded(t, r.api, id, 30*time.Second)
	if got.Status != "completed" || got.reason() != "agent_hangup" || got.TargetNumber != "102" || got.CallerID != "101" {
		t.Errorf("internal call: %s; want completed by agent_hangup, 101 → 102", describeCall(got))
	}
	var direction string
	mustUnmarshal(t, callMember(t, r, id, "direction"), &direction)
	if direction != "internal" {
		t.Errorf("direction %q, want internal", direction)
	}
	expectTone(t, alice, "dec", "Alice to have heard Bob", bobToneHz)
	expectTone(t, bobPhone, "dec", "Bob to have heard Alice", phoneToneHz)
}

// DTMF pressed on the handset during a call reaches the carrier as RFC
// 4733 events: SIPp dials and plays a recorded "1" (telephone-event), and
// baresip on the trunk reports the digit (with -v: "received event: '1'").
func TestHandsetDTMFReachesTheCarrier(t *testing.T) {
	t.Parallel()
	requirePeers(t, "baresip", "sipp")
	r := newRig(t, rigConfig{})
	carrier := startBaresip(t, baresipConfig{
		Name:    "carrier",
		Port:    r.trunkPort,
		ToneHz:  carrierToneHz,
		Account: fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA", targetNumber, r.trunkPort),
		Seconds: 30,
		Verbose: true,
	})
	pcap, err := os.ReadFile("/usr/share/sip-tester/dtmf_2833_1.pcap")
	if err != nil {
		t.Fatalf("SIPp's DTMF capture (package sip-tester): %v", err)
	}
	handset := startSIPp(t, sippConfig{
		Name:      "handset",
		Scenario:  "handset_dial_dtmf.xml",
		Remote:    fmt.Sprintf("127.0.0.1:%d", r.srv.SIPPort),
		Port:      freePort(t),
		MediaPort: freePorts(t, 4),
		Files:     map[string][]byte{"dtmf.pcap": pcap},
		Args:      []string{"-s", targetNumber, "-au", strconv.Itoa(phoneUser), "-ap", phonePassword, "-m", "1"},
	})
	if code := handset.wait(60 * time.Second); code != 0 {
		t.Fatalf("handset SIPp exit code %d: %s", code, handset.errors())
	}
	id := handsetCall(t, r, r.phone.ID)
	if got := waitCallEnded(t, r.api, id, 30*time.Second); got.Status != "completed" || got.reason() != "agent_hangup" {
		t.Errorf("handset call: %s, want completed by agent_hangup", describeCall(got))
	}
	waitFor(t, 15*time.Second, "the carrier to report DTMF 1", func() (bool, string) {
		out := carrier.output()
		return strings.Contains(out, "received event: '1'"), tail(statusLinesOut(out), 6000)
	})
}
