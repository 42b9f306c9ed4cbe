package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// --metrics-addr serves Prometheus metrics on an address of its own: after
// one answered call they show it ended, its audio relayed, the API route
// that placed it and the phone's registration.
func TestMetricsAfterAnsweredCall(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := newRig(t, rigConfig{
		Server:  serverConfig{Flags: []string{"--metrics-addr", addr}},
		Phone:   &phoneConfig{OOC: "phone_answer.xml"},
		Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "2000"}},
	})
	c := r.startCall(t)
	if code := r.carrier.wait(60 * time.Second); code != 0 {
		t.Errorf("carrier SIPp exit code %d, want 0", code)
	}
	waitCallEnded(t, r.api, c.ID, 30*time.Second)

	// The call's end is counted once its final step is stored, which the
	// API already shows: no wait needed, but scrape until it is there
	// rather than assume the order of two goroutines.
	var m metricsText
	waitFor(t, 10*time.Second, "the ended call in /metrics", func() (bool, string) {
		m = scrapeMetrics(t, "http://"+addr+"/metrics")
		return m.value(`sipsim_calls_ended_total{reason="target_hangup",status="completed"}`) == 1, m.sipsim()
	})
	if v := m.value(`sipsim_calls_active`); v != 0 {
		t.Errorf("sipsim_calls_active = %v after the call ended, want 0", v)
	}
	for _, dir := range []string{"phone_to_carrier", "carrier_to_phone"} {
		if v := m.value(`sipsim_rtp_packets_relayed_total{direction="` + dir + `"}`); v <= 0 {
			t.Errorf("RTP relayed %s = %v, want > 0 (both SIPp peers stream audio)", dir, v)
		}
	}
	if v := m.value(`sipsim_http_request_duration_seconds_count{code="201",method="POST",route="/api/v2/calls"}`); v != 1 {
		t.Errorf("POST /api/v2/calls requests timed = %v, want 1", v)
	}
	if v := m.value(`sipsim_registrations`); v != 1 {
		t.Errorf("sipsim_registrations = %v while the phone is registered, want 1", v)
	}
	if v := m.value(`sipsim_sip_requests_total{method="REGISTER"}`); v < 1 {
		t.Errorf("REGISTER requests = %v, want at least 1", v)
	}
	if _, ok := m.values[`sipsim_webhook_deliveries_pending`]; !ok {
		t.Errorf("no sipsim_webhook_deliveries_pending in:\n%s", m.sipsim())
	}

	if code := r.sipp.unregister(); code != 0 {
		t.Errorf("phone SIPp exit code %d after un-REGISTER, want 0", code)
	}
	if v := scrapeMetrics(t, "http://"+addr+"/metrics").value(`sipsim_registrations`); v != 0 {
		t.Errorf("sipsim_registrations = %v after the phone unregistered, want 0", v)
	}
	// The API's own address does not serve them: it may face the CRM's
	// network, the metrics the operator's.
	resp, err := http.Get("http://" + r.srv.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("the API's address serves /metrics")
	}
}

// metricsText is a scrape: each sample's name with labels, and its value.
type metricsText struct {
	values map[string]float64
	lines  []string
}

func scrapeMetrics(t *testing.T, url string) metricsText {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, resp.StatusCode, b)
	}
	m := metricsText{values: map[string]float64{}}
	for line := range strings.SplitSeq(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		m.values[line[:i]] = v
		if strings.HasPrefix(line, "sipsim_") {
			m.lines = append(m.lines, line)
		}
	}
	return m
}

// value is a sample's value; absent is -1, which no assertion accepts.
func (m metricsText) value(sample string) float64 {
	if v, ok := m.values[sample]; ok {
		return v
	}
	return -1
}

func (m metricsText) sipsim() string { return strings.Join(m.lines, "\n") }
