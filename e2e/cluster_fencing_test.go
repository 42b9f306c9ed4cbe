package e2e

import (
	"strings"
	"testing"
	"time"
)

// Node A freezes (SIGSTOP) during an answered call, past its lease (3 s):
// node B closes the call as failed/node_lost. When A goes on (SIGCONT),
// it finds it has not heartbeat for a lease and hangs the call up, BYE to
// the phone and to the carrier, and its own end of the call is refused:
// the call keeps B's record and its one call.ended.
func TestClusterFrozenNodeHangsUpAndKeepsTheOneEnd(t *testing.T) {
	t.Parallel()
	trunkPort := sipPeerPort(t)
	carrier := startSIPpCarrier(t, trunkPort, carrierConfig{Scenario: "carrier_answer.xml", Caller: phoneNumber, Target: targetNumber})
	cl := startCluster(t, 2, trunkPort, "--node-lease", "3s")
	phone := cl.alice()
	sipp := startSIPpPhone(t, cl.nodes[0], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_answer.xml"})
	waitRegistration(t, cl.apis[0], phone.ID, "registered", 15*time.Second)

	c := cl.apis[0].createCall(phone.ID, targetNumber)
	before := waitCallStatus(t, cl.apis[1], c.ID, 20*time.Second, "in_progress")

	cl.nodes[0].pause()
	t.Cleanup(cl.nodes[0].resume) // never leave it frozen for the cleanup's SIGTERM
	closed := waitCallEnded(t, cl.apis[1], c.ID, 20*time.Second)
	if closed.Status != "failed" || closed.reason() != "node_lost" {
		t.Fatalf("call while its node is frozen: %s, want failed/node_lost", describeCall(closed))
	}
	if n := len(sipp.received("BYE")) + len(carrier.received("BYE")); n != 0 {
		t.Fatalf("%d BYEs while node A was frozen: it could send none", n)
	}

	cl.nodes[0].resume()
	waitFor(t, 15*time.Second, "node A to hang up both legs (BYE to the phone and the carrier)", func() (bool, string) {
		phoneBye, carrierBye := len(sipp.received("BYE")), len(carrier.received("BYE"))
		return phoneBye == 1 && carrierBye == 1, describeRequests(sipp.sippProc) + " / " + describeRequests(carrier)
	})
	// Its write of the call's end (or of a step before) is refused.
	waitFor(t, 15*time.Second, "node A to find its write of the call refused", func() (bool, string) {
		return strings.Contains(cl.nodes[0].logs.String(), "another node closed this call"), "not logged yet"
	})

	for _, line := range strings.Split(cl.nodes[0].logs.String(), "\n") {
		if strings.Contains(line, "whole lease") || strings.Contains(line, "another node closed this call") {
			t.Logf("node A: %s", line)
		}
	}

	// A wrote, or tried to, once it went on; the call is as B closed it,
	// on both nodes' APIs.
	for i, api := range cl.apis {
		got := api.call(c.ID)
		if got.Status != "failed" || got.reason() != "node_lost" {
			t.Errorf("node %d shows %s, want failed/node_lost", i, describeCall(got))
		}
		ended := 0
		for _, ev := range got.Events {
			if ev.Type == "call.ended" {
				ended++
			}
		}
		if ended != 1 || len(got.Events) != len(before.Events)+1 {
			t.Errorf("node %d shows events %v (before the freeze %v): want those and one call.ended", i, got.eventTypes(), before.eventTypes())
		}
	}
}
