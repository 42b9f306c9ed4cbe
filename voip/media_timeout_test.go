package voip

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// A bridged call whose audio stops on both sides ends as media_timeout
// once the timeout has passed.
func TestIntegrationSilentCallEndsAsMediaTimeout(t *testing.T) {
	te, _, _ := mediaTimeoutCall(t, time.Minute, 500*time.Millisecond)
	out := te.e.PlaceCall(t.Context(), te.plan(t), func(sipsim.CallProgress) {})
	if out.Status != sipsim.CallCompleted || out.Reason != sipsim.ReasonMediaTimeout {
		t.Fatalf("outcome = %+v, want completed/media_timeout", out)
	}
}

// A call whose audio keeps flowing lasts past many media timeouts: the
// check re-arms on every packet's news, it does not end talking calls.
func TestIntegrationTalkingCallOutlivesTheMediaTimeout(t *testing.T) {
	te, soft, carrier := mediaTimeoutCall(t, 2*time.Second, 300*time.Millisecond)
	// Each side echoes what it gets, and the carrier starts it off: the
	// packets go round the bridge for the whole call.
	go echoRTP(soft, 0x11)
	go echoRTP(carrier, 0x22)
	go kickRTP(t, carrier)
	out := te.e.PlaceCall(t.Context(), te.plan(t), func(sipsim.CallProgress) {})
	if out.Status != sipsim.CallCompleted || out.Reason != sipsim.ReasonTargetHangup {
		t.Fatalf("outcome = %+v, want completed/target_hangup after 2 s of audio", out)
	}
	if echoCount(soft) == 0 || echoCount(carrier) == 0 {
		t.Errorf("audio echoed: phone %d, carrier %d packets: the call did not talk", echoCount(soft), echoCount(carrier))
	}
}

// mediaTimeoutCall starts an engine with the media timeout given, a
// carrier on its trunk that hangs up hangUp after answering, and a phone
// registered as 101 that answers.
func mediaTimeoutCall(t *testing.T, hangUp, timeout time.Duration) (te *testEngine, soft, carrier *peer) {
	t.Helper()
	carrier = newPeer(t, hangsUpAfter(hangUp))
	te = startEngineWith(t, func(cfg *Config) {
		cfg.Trunk, cfg.TrunkUsername, cfg.TrunkPassword = "sip:127.0.0.1:"+itoa(carrier.port), "acme", "trunk-pass"
		cfg.MediaTimeout = timeout
	}, nil)
	soft = newPeer(t, answers)
	if res := soft.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	return te, soft, carrier
}

// kickRTP sends the carrier's first packets, once it has been invited, to
// the bridge's address in the INVITE's SDP.
func kickRTP(t *testing.T, carrier *peer) {
	deadline := time.Now().Add(5 * time.Second)
	for carrier.lastInvite() == nil {
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	d, err := parseSDP(carrier.lastInvite().Body())
	if err != nil {
		t.Errorf("carrier INVITE SDP: %v", err)
		return
	}
	pkt := make([]byte, 172)
	pkt[0] = 0x80 // RTP version 2, PCMU
	for i := range 10 {
		pkt[3] = byte(i)
		_, _ = carrier.rtp.WriteToUDPAddrPort(pkt, d.addr)
		time.Sleep(20 * time.Millisecond)
	}
}
