package metrics

import "github.com/prometheus/client_golang/prometheus"

// Calls counts the calls this node runs.
type Calls struct {
	ended *prometheus.CounterVec
}

// Calls registers sipsim_calls_ended_total{status,reason}. Status and
// reason are the API's call status and ended_reason: small fixed sets.
func (r *Registry) Calls() *Calls {
	c := &Calls{ended: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "calls_ended_total",
		Help: "Calls this node ran that ended, by final status and ended_reason.",
	}, []string{"status", "reason"})}
	r.reg.MustRegister(c.ended)
	return c
}

// CallsActive registers sipsim_calls_active, which active reads at scrape
// time. It is apart from Calls because the calls service, which counts
// them, is built after the hook Calls feeds.
func (r *Registry) CallsActive(active func() int) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "calls_active",
		Help: "Calls running on this node: placed and not yet ended.",
	}, func() float64 { return float64(active()) }))
}

// Ended counts one call's end.
func (c *Calls) Ended(status, reason string) {
	c.ended.WithLabelValues(status, reason).Inc()
}
