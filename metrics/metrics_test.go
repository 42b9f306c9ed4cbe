package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRegistryServesRuntimeMetrics(t *testing.T) {
	body := scrape(t, New(nil))
	for _, name := range []string{"go_goroutines ", "process_start_time_seconds "} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("no %s in the exposition", strings.TrimSpace(name))
		}
	}
}

func TestCallsByStatusAndReason(t *testing.T) {
	r := New(nil)
	c := r.Calls()
	active := 3
	r.CallsActive(func() int { return active })
	c.Ended("completed", "target_hangup")
	c.Ended("completed", "target_hangup")
	c.Ended("failed", "target_busy")
	wantLines(t, scrape(t, r),
		`sipsim_calls_ended_total{reason="target_hangup",status="completed"} 2`,
		`sipsim_calls_ended_total{reason="target_busy",status="failed"} 1`,
		`sipsim_calls_active 3`)
}

func TestHTTPHistogramByRoute(t *testing.T) {
	r := New(nil)
	h := r.HTTP()
	h.Observe("POST", "/api/v2/calls", 201, 30*time.Millisecond)
	h.Observe("GET", "/api/v2/phones/{id}", 404, 2*time.Millisecond)
	wantLines(t, scrape(t, r),
		`sipsim_http_request_duration_seconds_count{code="201",method="POST",route="/api/v2/calls"} 1`,
		`sipsim_http_request_duration_seconds_bucket{code="201",method="POST",route="/api/v2/calls",le="0.025"} 0`,
		`sipsim_http_request_duration_seconds_bucket{code="201",method="POST",route="/api/v2/calls",le="0.05"} 1`,
		`sipsim_http_request_duration_seconds_count{code="404",method="GET",route="/api/v2/phones/{id}"} 1`)
}

func TestSIPCountersReadAtScrape(t *testing.T) {
	r := New(nil)
	n := uint64(0)
	r.SIP(func() SIPCounts {
		return SIPCounts{Requests: map[string]uint64{"REGISTER": n, "INVITE": 1}, Dropped: map[string]uint64{"scanner": 4, "rate": 0}}
	})
	n = 7
	wantLines(t, scrape(t, r),
		`sipsim_sip_requests_total{method="REGISTER"} 7`,
		`sipsim_sip_requests_total{method="INVITE"} 1`,
		`sipsim_sip_dropped_total{reason="scanner"} 4`,
		`sipsim_sip_dropped_total{reason="rate"} 0`)
}

func TestRTPByDirection(t *testing.T) {
	r := New(nil)
	r.RTP(func() RTPCounts {
		return RTPCounts{PhoneToCarrier: RTPFlow{Relayed: 100, Lost: 2, Dropped: 1}, CarrierToPhone: RTPFlow{Relayed: 90}}
	})
	wantLines(t, scrape(t, r),
		`sipsim_rtp_packets_relayed_total{direction="phone_to_carrier"} 100`,
		`sipsim_rtp_packets_lost_total{direction="phone_to_carrier"} 2`,
		`sipsim_rtp_packets_dropped_total{direction="phone_to_carrier"} 1`,
		`sipsim_rtp_packets_relayed_total{direction="carrier_to_phone"} 90`,
		`sipsim_rtp_packets_lost_total{direction="carrier_to_phone"} 0`)
}

func TestWebhookAttemptsStartAtZero(t *testing.T) {
	r := New(nil)
	w := r.Webhooks()
	w.Attempt("retrying")
	w.Attempt("succeeded")
	wantLines(t, scrape(t, r),
		`sipsim_webhook_attempts_total{outcome="succeeded"} 1`,
		`sipsim_webhook_attempts_total{outcome="retrying"} 1`,
		`sipsim_webhook_attempts_total{outcome="failed"} 0`)
}

// A store count that fails or overruns its timeout is left out of the
// scrape; the other metrics are still served.
func TestStoreCountsBoundedAndLeftOutOnError(t *testing.T) {
	r := New(nil)
	r.Calls().Ended("completed", "agent_hangup")
	r.Store(StoreCounts{
		Registrations: func(context.Context) (int, error) { return 12, nil },
		PendingDeliveries: func(ctx context.Context) (int, error) {
			<-ctx.Done() // a database that does not answer
			return 0, errors.New("count pending deliveries: " + ctx.Err().Error())
		},
		Timeout: 10 * time.Millisecond,
	})
	body := scrape(t, r)
	wantLines(t, body,
		`sipsim_registrations 12`,
		`sipsim_calls_ended_total{reason="agent_hangup",status="completed"} 1`)
	if strings.Contains(body, "\nsipsim_webhook_deliveries_pending ") {
		t.Errorf("a count that timed out is served:\n%s", sipsimLines(body))
	}
}
