package metrics

import "github.com/prometheus/client_golang/prometheus"

// scraped is a collector whose values are read when Prometheus scrapes:
// counters an adapter keeps itself, or a store query. It costs nothing
// between scrapes.
type scraped struct {
	descs   []*prometheus.Desc
	collect func(ch chan<- prometheus.Metric)
}

func (s scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d
	}
}

func (s scraped) Collect(ch chan<- prometheus.Metric) { s.collect(ch) }

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}
