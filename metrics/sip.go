package metrics

import "github.com/prometheus/client_golang/prometheus"

// SIPCounts are the SIP engine's counters since it started.
type SIPCounts struct {
	// Requests are the requests that reached a handler, by method: new
	// server transactions (retransmissions are absorbed before).
	Requests map[string]uint64
	// Dropped are the requests dropped unanswered before parsing, by
	// reason: "banned" (source banned for failed authentications),
	// "scanner" (a known scanner's User-Agent), "rate" (source over its
	// request rate).
	Dropped map[string]uint64
}

// SIP registers sipsim_sip_requests_total{method} and
// sipsim_sip_dropped_total{reason}, read from counts at scrape time.
func (r *Registry) SIP(counts func() SIPCounts) {
	requests := newDesc("sip_requests_total", "SIP requests that reached a handler (new server transactions), by method.", "method")
	dropped := newDesc("sip_dropped_total", "SIP requests dropped unanswered before parsing, by reason: banned, scanner, rate.", "reason")
	r.reg.MustRegister(scraped{
		descs: []*prometheus.Desc{requests, dropped},
		collect: func(ch chan<- prometheus.Metric) {
			c := counts()
			for method, n := range c.Requests {
				ch <- prometheus.MustNewConstMetric(requests, prometheus.CounterValue, float64(n), method)
			}
			for reason, n := range c.Dropped {
				ch <- prometheus.MustNewConstMetric(dropped, prometheus.CounterValue, float64(n), reason)
			}
		},
	})
}
