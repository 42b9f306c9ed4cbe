package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// GET /api/v2/phones is kept rendered between changes (issue #7); these
// tests check, with real phones registering over SIP, that every change
// shows in the very next list, on every node.

// phonesList returns GET /api/v2/phones as "name:registration (contacts)"
// per phone.
func phonesList(a *apiClient) []string {
	a.t.Helper()
	var phones []phoneView
	a.must(http.StatusOK, http.MethodGet, "/api/v2/phones", nil, &phones)
	out := make([]string, 0, len(phones))
	for _, p := range phones {
		out = append(out, fmt.Sprintf("%s:%s (%d)", p.Name, p.Registration.Status, p.Registration.Contacts))
	}
	return out
}

// wantPhones lists the phones through a twice (the second answer may be
// the kept one) and checks both against want.
func wantPhones(t *testing.T, a *apiClient, when string, want ...string) {
	t.Helper()
	for range 2 {
		if got := phonesList(a); join(got) != join(want) {
			t.Fatalf("%s: GET /api/v2/phones = %v, want %v", when, got, want)
		}
	}
}

func TestPhonesListShowsEachChangeAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_answer.xml"}})
	wantPhones(t, r.api, "registered", "Alice:registered (1)")

	// The phone's un-REGISTER was stored before its 200: the next list,
	// without waiting, shows it.
	if code := r.sipp.unregister(); code != 0 {
		t.Fatalf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	wantPhones(t, r.api, "after un-REGISTER", "Alice:unregistered (0)")

	r.api.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/phones/%d", r.phone.ID), map[string]string{"name": "Alice (desk)"}, nil)
	wantPhones(t, r.api, "after PATCH", "Alice (desk):unregistered (0)")
}

// A phone registers with node A; node B, which had listed it unregistered,
// lists it registered on the next request, and unregistered again as soon
// as the phone un-REGISTERs with A: the version both read is in the
// database they share.
func TestClusterPhonesListFollowsRegistrationsOnEveryNode(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 2, freePort(t))
	phone := cl.alice()
	for _, a := range cl.apis {
		wantPhones(t, a, "before REGISTER", "Alice:unregistered (0)")
	}

	sipp := startSIPpPhone(t, cl.nodes[0], phoneConfig{User: phoneUser, Password: phonePassword, OOC: "phone_answer.xml"})
	// GET /api/v2/phones/{id} is read anew each time: it says when the
	// REGISTER is stored, without touching the kept lists.
	waitRegistration(t, cl.apis[0], phone.ID, "registered", 15*time.Second)
	for i, a := range cl.apis {
		wantPhones(t, a, fmt.Sprintf("node %d, after REGISTER with node 0", i), "Alice:registered (1)")
	}

	if code := sipp.unregister(); code != 0 {
		t.Fatalf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	for i, a := range cl.apis {
		wantPhones(t, a, fmt.Sprintf("node %d, after un-REGISTER", i), "Alice:unregistered (0)")
	}
}
