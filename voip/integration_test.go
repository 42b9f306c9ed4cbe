package voip

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/sqlite"
)

type testEngine struct {
	e     *Engine
	db    *sqlite.DB
	phone *sipsim.Phone
}

// startEngine runs an engine on loopback with a real SQLite store and one
// active phone 101 (password "secret-101"), calling out through trunk
// (digest user "acme", password "trunk-pass").
func startEngine(t *testing.T, trunk string) *testEngine {
	t.Helper()
	return startEngineWith(t, func(cfg *Config) {
		cfg.Trunk, cfg.TrunkUsername, cfg.TrunkPassword = trunk, "acme", "trunk-pass"
	}, nil)
}

func (te *testEngine) contacts(t *testing.T) []*sipsim.Registration {
	t.Helper()
	regs, err := te.db.Registrations(t.Context(), te.phone.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return regs
}

func TestIntegrationRegistrar(t *testing.T) {
	te := startEngine(t, "")
	phone := newPeer(t, answers)

	res := phone.register(te.e, "101", "", 3600)
	if res.StatusCode != 401 || res.GetHeader("WWW-Authenticate") == nil {
		t.Fatalf("unauthenticated REGISTER: %d, challenge %v", res.StatusCode, res.GetHeader("WWW-Authenticate"))
	}
	res = phone.register(te.e, "101", "wrong-password", 3600)
	if res.StatusCode != 401 || res.GetHeader("WWW-Authenticate") == nil || strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale") {
		t.Fatalf("wrong password must be re-challenged (not stale): %s", res.StartLine())
	}
	if n := len(te.contacts(t)); n != 0 {
		t.Fatalf("%d bindings after a wrong password", n)
	}
	res = phone.register(te.e, "999", "secret-101", 3600)
	if res.StatusCode != 401 || res.GetHeader("WWW-Authenticate") == nil {
		t.Fatalf("unknown user must look like a wrong password: %s", res.StartLine())
	}

	res = phone.register(te.e, "101", "secret-101", 30)
	if res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil {
		t.Fatalf("too brief: %s", res.StartLine())
	}
	res = phone.register(te.e, "101", "secret-101", 7200)
	if res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	c, ok := res.Contact().Params.Get("expires")
	if !ok || c != "3600" {
		t.Fatalf("granted expires = %q, want 3600 (capped)", c)
	}
	regs := te.contacts(t)
	if len(regs) != 1 || regs[0].Received == "" || regs[0].Transport != "udp" {
		t.Fatalf("bindings = %+v", regs)
	}

	res = phone.register(te.e, "101", "secret-101", 0)
	if res.StatusCode != 200 {
		t.Fatalf("unregister: %s", res.StartLine())
	}
	if n := len(te.contacts(t)); n != 0 {
		t.Fatalf("%d bindings after unregister", n)
	}
}

// progressLog collects what PlaceCall reports.
type progressLog struct {
	mu    sync.Mutex
	kinds []sipsim.ProgressKind
}

func (l *progressLog) add(p sipsim.CallProgress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.kinds = append(l.kinds, p.Kind)
}

func (l *progressLog) get() []sipsim.ProgressKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.kinds)
}

func (te *testEngine) plan(t *testing.T) sipsim.CallPlan {
	return sipsim.CallPlan{CallID: "call_test", Phone: te.phone, Contacts: te.contacts(t), TargetNumber: "+33698765432",
		CallerID: "+33612345678", AgentRingTimeout: 5 * time.Second, TargetRingTimeout: 5 * time.Second, MaxDuration: time.Minute}
}

func TestIntegrationCallForksBridgesAndEnds(t *testing.T) {
	carrier := newPeer(t, hangsUpAfter(time.Second))
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	desk := newPeer(t, ringsForever)
	soft := newPeer(t, answers)
	for _, p := range []*peer{desk, soft} {
		if res := p.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
			t.Fatalf("register: %s", res.StartLine())
		}
	}

	// Audio: both peers send a packet whenever they get one, so each
	// direction proves itself.
	go echoRTP(soft, 0x11)
	go echoRTP(carrier, 0x22)

	var log progressLog
	out := te.e.PlaceCall(t.Context(), te.plan(t), log.add)
	if out.Status != sipsim.CallCompleted || out.Reason != sipsim.ReasonTargetHangup {
		t.Fatalf("outcome = %+v", out)
	}
	want := []sipsim.ProgressKind{sipsim.ProgressAgentDialing, sipsim.ProgressAgentRinging, sipsim.ProgressAgentAnswered,
		sipsim.ProgressTargetDialing, sipsim.ProgressTargetRinging, sipsim.ProgressTargetAnswered}
	if got := log.get(); !slices.Equal(got, want) {
		t.Fatalf("progress = %v\nwant %v", got, want)
	}

	inv := carrier.lastInvite()
	if inv.Recipient.User != "+33698765432" {
		t.Errorf("carrier Request-URI user = %q", inv.Recipient.User)
	}
	if inv.From().Address.User != "+33612345678" {
		t.Errorf("carrier From = %s", inv.From().Value())
	}
	if pai := inv.GetHeader("P-Asserted-Identity"); pai == nil || !strings.Contains(pai.Value(), "sip:+33612345678@") {
		t.Errorf("carrier P-Asserted-Identity = %v", pai)
	}
	if agentInv := soft.lastInvite(); agentInv.From().Address.User != "+33698765432" {
		t.Errorf("phone sees caller %s, want the target number", agentInv.From().Value())
	}
	if d, err := parseSDP(inv.Body()); err != nil || len(d.codecs) != 1 || d.codecs[0].name != "PCMU" {
		t.Errorf("leg B must offer only the codec leg A answered with: %+v %v", d, err)
	}
	waitUntil(t, "the ringing desk phone gets CANCEL", func() bool { _, _, c := desk.counts(); return c == 1 })
	waitUntil(t, "the answering phone gets BYE", func() bool { _, b, _ := soft.counts(); return b == 1 })
	if got := echoCount(soft) + echoCount(carrier); got == 0 {
		t.Error("no RTP crossed the bridge")
	}
}

func TestIntegrationFailures(t *testing.T) {
	tests := []struct {
		name        string
		phone, trnk func(*peer, *sipgo.DialogServerSession)
		status      sipsim.CallStatus
		reason      sipsim.EndReason
		agentCode   int
		targetCode  int
	}{
		{"agent busy", rejects(486), answers, sipsim.CallBusy, sipsim.ReasonAgentBusy, 486, 0},
		{"agent declines", rejects(603), answers, sipsim.CallBusy, sipsim.ReasonAgentDeclined, 603, 0},
		{"agent does not answer", ringsForever, answers, sipsim.CallNoAnswer, sipsim.ReasonAgentNoAnswer, 487, 0},
		{"target busy", answers, rejects(486), sipsim.CallBusy, sipsim.ReasonTargetBusy, 200, 486},
		{"target does not answer", answers, ringsForever, sipsim.CallNoAnswer, sipsim.ReasonTargetNoAnswer, 200, 487},
		{"trunk rejects", answers, rejects(403), sipsim.CallFailed, sipsim.ReasonTrunkRejected, 200, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			carrier := newPeer(t, tt.trnk)
			te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
			phone := newPeer(t, tt.phone)
			if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
				t.Fatalf("register: %s", res.StartLine())
			}
			plan := te.plan(t)
			plan.AgentRingTimeout, plan.TargetRingTimeout = 2*time.Second, 2*time.Second
			out := te.e.PlaceCall(t.Context(), plan, func(sipsim.CallProgress) {})
			if out.Status != tt.status || out.Reason != tt.reason || out.AgentCode != tt.agentCode || out.TargetCode != tt.targetCode {
				t.Fatalf("outcome = %s/%s codes %d/%d, want %s/%s %d/%d (%v)", out.Status, out.Reason, out.AgentCode, out.TargetCode,
					tt.status, tt.reason, tt.agentCode, tt.targetCode, out.Err)
			}
			if tt.agentCode == 200 {
				waitUntil(t, "the employee's phone is hung up", func() bool { _, b, _ := phone.counts(); return b == 1 })
			}
			if tt.reason == sipsim.ReasonTargetNoAnswer {
				waitUntil(t, "the carrier gets CANCEL", func() bool { _, _, c := carrier.counts(); return c == 1 })
			}
		})
	}
}

func TestIntegrationCancelWhileTargetRings(t *testing.T) {
	carrier := newPeer(t, ringsForever)
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	phone := newPeer(t, answers)
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() {
		waitUntil(t, "the carrier rings", func() bool { n, _, _ := carrier.counts(); return n == 1 })
		cancel(sipsim.ReasonServerShutdown)
	}()
	out := te.e.PlaceCall(ctx, te.plan(t), func(sipsim.CallProgress) {})
	if out.Status != sipsim.CallCanceled || out.Reason != sipsim.ReasonServerShutdown || out.TargetCode != 487 {
		t.Fatalf("outcome = %s/%s target code %d, want canceled/server_shutdown with the carrier's 487", out.Status, out.Reason, out.TargetCode)
	}
	waitUntil(t, "the carrier gets CANCEL", func() bool { _, _, c := carrier.counts(); return c == 1 })
	waitUntil(t, "the phone gets BYE", func() bool { _, b, _ := phone.counts(); return b == 1 })
}

func TestIntegrationAgentHangsUpWhileTargetRings(t *testing.T) {
	carrier := newPeer(t, ringsForever)
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	phone := newPeer(t, hangsUpAfter(500*time.Millisecond))
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	out := te.e.PlaceCall(t.Context(), te.plan(t), func(sipsim.CallProgress) {})
	if out.Status != sipsim.CallCanceled || out.Reason != sipsim.ReasonAgentHungUpEarly {
		t.Fatalf("outcome = %s/%s (%v)", out.Status, out.Reason, out.Err)
	}
	waitUntil(t, "the carrier gets CANCEL", func() bool { _, _, c := carrier.counts(); return c == 1 })
}

func TestIntegrationTrunkDigestAuth(t *testing.T) {
	var mu sync.Mutex
	var authorizations []string
	carrier := newPeer(t, func(p *peer, d *sipgo.DialogServerSession) {
		h := d.InviteRequest.GetHeader("Proxy-Authorization")
		if h == nil {
			res := sip.NewResponseFromRequest(d.InviteRequest, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="carrier", nonce="abc123", algorithm=MD5`))
			_ = d.WriteResponse(res)
			return
		}
		mu.Lock()
		authorizations = append(authorizations, h.Value())
		mu.Unlock()
		hangsUpAfter(200*time.Millisecond)(p, d)
	})
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	phone := newPeer(t, answers)
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	out := te.e.PlaceCall(t.Context(), te.plan(t), func(sipsim.CallProgress) {})
	if out.Status != sipsim.CallCompleted {
		t.Fatalf("outcome = %s/%s (%v)", out.Status, out.Reason, out.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(authorizations) != 1 || !strings.Contains(authorizations[0], `username="acme"`) {
		t.Fatalf("Proxy-Authorization = %q", authorizations)
	}
}

func TestIntegrationAutoAnswerAndCallerName(t *testing.T) {
	carrier := newPeer(t, hangsUpAfter(200*time.Millisecond))
	te := startEngine(t, "sip:127.0.0.1:"+itoa(carrier.port))
	phone := newPeer(t, answers)
	if res := phone.register(te.e, "101", "secret-101", 3600); res.StatusCode != 200 {
		t.Fatalf("register: %s", res.StartLine())
	}
	plan := te.plan(t)
	plan.AutoAnswer, plan.CallerIDName = true, "ACME: Jane Doe"
	if out := te.e.PlaceCall(t.Context(), plan, func(sipsim.CallProgress) {}); out.Status != sipsim.CallCompleted {
		t.Fatalf("outcome = %s/%s", out.Status, out.Reason)
	}
	inv := phone.lastInvite()
	if ci := inv.GetHeader("Call-Info"); ci == nil || !strings.Contains(ci.Value(), "answer-after=0") {
		t.Errorf("Call-Info = %v, want answer-after=0", ci)
	}
	if ai := inv.GetHeader("Alert-Info"); ai == nil || !strings.Contains(ai.Value(), "info=alert-autoanswer") {
		t.Errorf("Alert-Info = %v, want info=alert-autoanswer", ai)
	}
	if from := inv.From(); from.DisplayName != "ACME: Jane Doe" || from.Address.User != "+33698765432" {
		t.Errorf("phone sees From %s, want the name ACME: Jane Doe and the target number", from.Value())
	}
	// Without the option a phone is not asked to answer by itself.
	plan.AutoAnswer, plan.CallerIDName = false, ""
	te.e.PlaceCall(t.Context(), plan, func(sipsim.CallProgress) {})
	if inv := phone.lastInvite(); inv.GetHeader("Call-Info") != nil || inv.GetHeader("Alert-Info") != nil || inv.From().DisplayName != "+33698765432" {
		t.Errorf("plain call carries auto-answer headers or a name: %s", inv.String())
	}
}
