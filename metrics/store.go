package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StoreCounts are the counts read from the database at scrape time. Each
// query gets Timeout (default 2 s): a slow database leaves the metric out
// of that scrape rather than holding Prometheus until its own timeout.
type StoreCounts struct {
	// Registrations counts the live SIP bindings this node took.
	Registrations func(ctx context.Context) (int, error)
	// PendingDeliveries counts the webhook deliveries not yet accepted
	// and not given up: the outbox every node drains.
	PendingDeliveries func(ctx context.Context) (int, error)
	Timeout           time.Duration
}

// Store registers sipsim_registrations and
// sipsim_webhook_deliveries_pending.
func (r *Registry) Store(s StoreCounts) {
	if s.Timeout <= 0 {
		s.Timeout = 2 * time.Second
	}
	gauges := []struct {
		desc  *prometheus.Desc
		count func(ctx context.Context) (int, error)
	}{
		{newDesc("registrations", "Live SIP bindings (registered contacts) this node took; on a cluster, sum over the nodes."), s.Registrations},
		{newDesc("webhook_deliveries_pending", "Webhook deliveries waiting for a first or further attempt; the outbox is shared, so every node of a cluster reports the same number."), s.PendingDeliveries},
	}
	var descs []*prometheus.Desc
	for _, g := range gauges {
		descs = append(descs, g.desc)
	}
	r.reg.MustRegister(scraped{
		descs: descs,
		collect: func(ch chan<- prometheus.Metric) {
			for _, g := range gauges {
				ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
				n, err := g.count(ctx)
				cancel()
				if err != nil {
					ch <- prometheus.NewInvalidMetric(g.desc, err)
					continue
				}
				ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
			}
		},
	})
}
