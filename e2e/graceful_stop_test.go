package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// signalNoWait sends sig to the running process and returns at once, so
// that the test can look at the server while it stops.
func (s *server) signalNoWait(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// waitExit waits for the process to end by itself and returns its exit
// code.
func (s *server) waitExit(timeout time.Duration) int {
	s.t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(timeout):
		s.t.Fatalf("sipsim still running %v after it was asked to stop", timeout)
	}
	return cmd.ProcessState.ExitCode()
}

// transactions counts the distinct requests among msgs: a request
// retransmitted over UDP keeps its Call-ID and CSeq.
func transactions(msgs []sipMsg) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.header("Call-ID")+" "+m.header("CSeq")] = true
	}
	return len(seen)
}

// getEnvelope is an unauthenticated GET of an API answer.
func getEnvelope(url string) (int, envelope, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0, envelope{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, envelope{}, err
	}
	var env envelope
	return resp.StatusCode, env, json.Unmarshal(raw, &env)
}

// SIGTERM during an answered call: the node at once reports itself not
// ready and refuses new calls with 503, while the call in progress goes on;
// at the drain timeout (3 s here) the call is hung up on both legs (BYE),
// stored as ended by the shutdown, and the process exits 0. After a
// restart the phone takes calls again.
//
// The phone takes 4 s to answer its BYE (phone_answer_slow_bye.xml): the
// node still waits for it and stores the call before it stops.
func TestGracefulStopDuringCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--drain-timeout", "3s"}},
		Phone:   &phoneConfig{OOC: "phone_answer_slow_bye.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer.xml"},
	})
	c := r.startCall(t)
	waitCallStatus(t, r.api, c.ID, 20*time.Second, "in_progress")

	r.srv.signalNoWait(syscall.SIGTERM)

	var (
		code int
		env  envelope
	)
	waitFor(t, 10*time.Second, "/healthz to answer 503", func() (bool, string) {
		var err error
		code, env, err = getEnvelope(r.srv.URL("/healthz"))
		return err == nil && code == http.StatusServiceUnavailable, http.StatusText(code)
	})
	assertErrorEnvelope(t, code, env, http.StatusServiceUnavailable, "/healthz", "Service is not ready")

	code, env = r.api.do(http.MethodPost, "/api/v2/calls", callInput{r.phone.ID, "+33698765400"})
	assertErrorEnvelope(t, code, env, http.StatusServiceUnavailable, "/api/v2/calls", "The server is shutting down; retry on another node")
	if during := r.api.call(c.ID); during.Status != "in_progress" {
		t.Errorf("call during the drain: %s, want still in_progress: calls go on until the drain timeout", describeCall(during))
	}

	if exit := r.srv.waitExit(60 * time.Second); exit != 0 {
		t.Errorf("sipsim exited %d after SIGTERM, want 0", exit)
	}
	if n := transactions(r.sipp.received("BYE")); n != 1 {
		t.Errorf("the phone got %d BYE, want 1", n)
	}
	if n := transactions(r.carrier.received("BYE")); n != 1 {
		t.Errorf("the carrier got %d BYE, want 1", n)
	}

	r.srv.restart()
	assertCall(t, r.api.call(c.ID), callWant{Status: "completed", Reason: "server_shutdown", Events: answeredEvents, Statuses: answeredStatuses,
		AgentLeg: "completed", AgentCode: 200, TargetLeg: "completed", TargetCode: 200})
	// Free: another call rings it (another number, or it is a double click).
	r.api.createCall(r.phone.ID, "+33698765400")
	waitFor(t, 15*time.Second, "the phone to ring for the next call", func() (bool, string) {
		return transactions(r.sipp.received("INVITE")) == 2, describeRequests(r.sipp.sippProc)
	})
	// That call's target is gone (the carrier took one call): a graceful
	// stop would wait out its drain; nothing is left to check.
	r.srv.kill()
}
