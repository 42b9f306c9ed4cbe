package metrics

import "github.com/prometheus/client_golang/prometheus"

// Webhooks counts delivery attempts.
type Webhooks struct {
	attempts *prometheus.CounterVec
}

// Webhooks registers sipsim_webhook_attempts_total{outcome}.
func (r *Registry) Webhooks() *Webhooks {
	w := &Webhooks{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "webhook_attempts_total",
		Help: "Webhook delivery attempts this node made, by where they left the delivery: succeeded, retrying (failed, tried again later) or failed (given up).",
	}, []string{"outcome"})}
	for _, o := range []string{"succeeded", "retrying", "failed"} {
		w.attempts.WithLabelValues(o) // present at 0 from the start, for rate() and alerts
	}
	r.reg.MustRegister(w.attempts)
	return w
}

// Attempt counts one attempt with its outcome.
func (w *Webhooks) Attempt(outcome string) {
	w.attempts.WithLabelValues(outcome).Inc()
}
