package e2e

import (
	"slices"
	"testing"
	"time"
)

// waitFor polls check until it reports done. The timeout only bounds the
// wait: nothing asserts how fast things happen. On timeout the test fails
// with what check last said.
func waitFor(t testing.TB, timeout time.Duration, what string, check func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var finalStatuses = []string{"completed", "busy", "no_answer", "failed", "canceled"}

// waitCallStatus waits until the call is in one of the statuses.
func waitCallStatus(t testing.TB, a *apiClient, id string, timeout time.Duration, statuses ...string) callView {
	t.Helper()
	var c callView
	waitFor(t, timeout, "call "+id+" in "+join(statuses), func() (bool, string) {
		c = a.call(id)
		return slices.Contains(statuses, c.Status), describeCall(c)
	})
	return c
}

// waitCallEnded waits for the call's final status.
func waitCallEnded(t testing.TB, a *apiClient, id string, timeout time.Duration) callView {
	t.Helper()
	return waitCallStatus(t, a, id, timeout, finalStatuses...)
}

// waitRegistration waits until the phone's registration status is want.
func waitRegistration(t testing.TB, a *apiClient, phoneID int64, want string, timeout time.Duration) phoneView {
	t.Helper()
	var p phoneView
	waitFor(t, timeout, "phone registration "+want, func() (bool, string) {
		p = a.phone(phoneID)
		return p.Registration.Status == want, p.Registration.Status
	})
	return p
}
