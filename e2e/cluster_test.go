package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Several `sipsim serve` nodes share one PostgreSQL schema. A call runs
// on the node the phone registered with (its NAT binding or TCP
// connection is there), whichever node's API took it; the calls of a node
// that dies are closed by the others within its lease.

// cluster is n nodes on one new schema, all with the trunk at trunkPort,
// a token and a client for each node's API.
type cluster struct {
	nodes []*server
	apis  []*apiClient
}

func startCluster(t *testing.T, n, trunkPort int, flags ...string) *cluster {
	t.Helper()
	shared := newPostgresSchema(t)
	c := &cluster{}
	for range n {
		c.nodes = append(c.nodes, startServer(t, serverConfig{DBURL: shared, TrunkPort: trunkPort, Flags: flags}))
	}
	token := c.nodes[0].createToken(allScopes)
	for _, s := range c.nodes {
		c.apis = append(c.apis, newAPIClient(t, s, token))
	}
	return c
}

// alice creates the standard phone through node 0's API.
func (c *cluster) alice() phoneView {
	return c.apis[0].createPhone(phoneInput{Name: "Alice", InternalNumber: phoneUser, Number: phoneNumber, SIPPassword: phonePassword})
}

// assertInviteFrom checks that the phone's INVITE came from the node at
// sipPort (its top Via), the node it registered with.
func assertInviteFrom(t *testing.T, p *sippPhone, node string, sipPort int) {
	t.Helper()
	invites := p.received("INVITE")
	if len(invites) != 1 {
		t.Fatalf("phone got %d INVITEs, want 1", len(invites))
	}
	if via := invites[0].header("Via"); !strings.Contains(via, fmt.Sprintf("127.0.0.1:%d", sipPort)) {
		t.Errorf("the phone's INVITE has Via %q: it was not sent by node %s (SIP port %d), where the phone registered", via, node, sipPort)
	}
}

// 50 POSTs for one phone at once, half through each node's API: one is
// accepted, every other is told the phone is busy and which call it is
// on, and the phone rings once, from the node it registered with. Hanging
// up through node B, which does not run the call, ends it.
func TestClusterOneCallPerPhoneAcrossNodes(t *testing.T) {
	t.Parallel()
	trunkPort := sipPeerPort(t)
	startSIPpCarrier(t, trunkPort, carrierConfig{Scenario: "carrier_answer.xml", Caller: phoneNumber, Target: targetNumber})
	cl := startCluster(t, 2, trunkPort, "--agent-ring-timeout", "20s")
	phone := cl.alice()
	sipp := startSIPpPhone(t, cl.nodes[0], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_no_answer.xml"})
	waitRegistration(t, cl.apis[0], phone.ID, "registered", 15*time.Second)

	const n = 50
	type answer struct {
		code int
		env  envelope
		err  error
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			<-start
			target := fmt.Sprintf("+336987654%02d", i)
			code, env, err := cl.apis[i%2].send(http.MethodPost, "/api/v2/calls", callInput{PhoneID: phone.ID, TargetNumber: target})
			answers[i] = answer{code, env, err}
		})
	}
	close(start)
	wg.Wait()

	var created []envelope
	var refused []envelope
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("POST %d (node %d): %v", i, i%2, a.err)
		case a.code == http.StatusCreated:
			created = append(created, a.env)
		default:
			assertErrorEnvelope(t, a.code, a.env, http.StatusConflict, "/api/v2/calls", "Phone is currently on another call")
			refused = append(refused, a.env)
		}
	}
	if len(created) != 1 {
		t.Fatalf("%d POSTs answered 201, want exactly 1", len(created))
	}
	var c callView
	mustUnmarshal(t, created[0].Data, &c)
	for _, env := range refused {
		if env.CallID != c.ID {
			t.Errorf("409 call_id = %q, want the accepted call %s", env.CallID, c.ID)
		}
	}

	waitFor(t, 15*time.Second, "the phone to ring", func() (bool, string) {
		return len(sipp.received("INVITE")) == 1, describeRequests(sipp.sippProc)
	})
	assertInviteFrom(t, sipp, "A", cl.nodes[0].SIPPort)
	waitCallStatus(t, cl.apis[1], c.ID, 10*time.Second, "ringing_agent")

	var canceled callView
	cl.apis[1].must(http.StatusOK, http.MethodDelete, "/api/v2/calls/"+c.ID, nil, &canceled)
	got := waitCallEnded(t, cl.apis[1], c.ID, 10*time.Second)
	if got.Status != "canceled" || got.reason() != "canceled_via_api" {
		t.Errorf("after DELETE through node B: %s, want canceled/canceled_via_api", describeCall(got))
	}
	if n := len(sipp.received("CANCEL")); n != 1 {
		t.Errorf("the phone got %d CANCELs, want 1", n)
	}
}

// A call asked of node B rings the phone registered with node A, from A,
// and completes: both legs answered, audio relayed both ways (the nodes
// end a call whose side sends no audio for 2 s as media_timeout; the
// phone sends only what it hears, the carrier's tone, echoed).
func TestClusterCallFromAnotherNodeRingsTheRegistrationsNode(t *testing.T) {
	t.Parallel()
	clusterCallFromOtherNode(t, false)
}

// The same for a phone registered over TCP: its connection is with node
// A, so only A can reach it.
func TestClusterCallFromAnotherNodeRingsATCPPhone(t *testing.T) {
	t.Parallel()
	clusterCallFromOtherNode(t, true)
}

func clusterCallFromOtherNode(t *testing.T, tcp bool) {
	trunkPort := sipPeerPort(t)
	carrier := startSIPpCarrier(t, trunkPort, carrierConfig{Scenario: "carrier_answer_hangup.xml",
		Caller: phoneNumber, Target: targetNumber, Args: []string{"-d", "4000"}})
	cl := startCluster(t, 2, trunkPort, "--media-timeout", "2s")
	phone := cl.alice()
	sipp := startSIPpPhone(t, cl.nodes[0], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_answer.xml", TCP: tcp})
	waitRegistration(t, cl.apis[1], phone.ID, "registered", 15*time.Second)

	c := cl.apis[1].createCall(phone.ID, targetNumber)
	if c.Status != "initiating" {
		t.Fatalf("POST through node B: status %q, want initiating", c.Status)
	}
	if code := carrier.wait(40 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0 (INVITE as expected, answered, talked, hung up)", code)
	}
	got := waitCallEnded(t, cl.apis[1], c.ID, 15*time.Second)
	assertCall(t, got, callWant{
		Status: "completed", Reason: "target_hangup",
		Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200,
	})
	assertInviteFrom(t, sipp, "A", cl.nodes[0].SIPPort)
	if !strings.Contains(cl.nodes[1].logs.String(), "call dispatched to the node holding the phone's registration") {
		t.Error("node B does not log that it dispatched the call")
	}
}

// Node A dies (SIGKILL) during an answered call. Within its lease (3 s)
// node B or C closes the call as failed/node_lost, once; the phone then
// re-registers with node B and takes the next call there.
func TestClusterNodeCrashClosesItsCallsWithinTheLease(t *testing.T) {
	t.Parallel()
	trunkPort := sipPeerPort(t)
	startSIPpCarrier(t, trunkPort, carrierConfig{Scenario: "carrier_answer.xml", Caller: phoneNumber, Target: targetNumber})
	cl := startCluster(t, 3, trunkPort, "--node-lease", "3s")
	phone := cl.alice()
	oldPhone := startSIPpPhone(t, cl.nodes[0], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_answer.xml"})
	waitRegistration(t, cl.apis[0], phone.ID, "registered", 15*time.Second)

	c := cl.apis[0].createCall(phone.ID, targetNumber)
	before := waitCallStatus(t, cl.apis[1], c.ID, 20*time.Second, "in_progress")

	killed := time.Now()
	cl.nodes[0].kill()
	final := waitCallEnded(t, cl.apis[1], c.ID, 20*time.Second)
	t.Logf("call closed %v after SIGKILL of its node (lease 3 s)", time.Since(killed).Round(100*time.Millisecond))
	if final.Status != "failed" || final.reason() != "node_lost" {
		t.Errorf("call after its node died: %s, want failed/node_lost", describeCall(final))
	}
	n := len(final.Events)
	if n != len(before.Events)+1 || final.Events[n-1].Type != "call.ended" {
		t.Errorf("timeline before the crash %v, after %v: want the same events and one call.ended", before.eventTypes(), final.eventTypes())
	}
	// Sweeps go on on both survivors: still one call.ended a few sweeps
	// later.
	time.Sleep(3 * time.Second)
	if again := cl.apis[2].call(c.ID); len(again.Events) != n {
		t.Errorf("node C shows %d events, want %d: the call was closed more than once (%v)", len(again.Events), n, again.eventTypes())
	}

	// The phone moves to node B: it registers the same contact there (the
	// SIPp that was registered with A is gone).
	oldPhone.kill()
	newPhone := startSIPpPhone(t, cl.nodes[1], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_busy.xml",
		NATAddr: fmt.Sprintf("127.0.0.1:%d", oldPhone.Port)})
	waitFor(t, 15*time.Second, "the phone's registration with node B", func() (bool, string) {
		return len(newPhone.receivedResponses()) > 0 && newPhone.receivedResponses()[len(newPhone.receivedResponses())-1] == "200",
			strings.Join(newPhone.receivedResponses(), ",")
	})
	next := cl.apis[2].createCall(phone.ID, "+33698765400")
	got := waitCallEnded(t, cl.apis[2], next.ID, 20*time.Second)
	if got.Status != "busy" || got.reason() != "agent_busy" {
		t.Errorf("next call: %s, want busy/agent_busy (the phone, now with node B, answers 486)", describeCall(got))
	}
	assertInviteFrom(t, newPhone, "B", cl.nodes[1].SIPPort)
}
