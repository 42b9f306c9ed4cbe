// Package metrics exposes what a sipsim node does as Prometheus metrics:
// calls, SIP requests, RTP relayed, webhook deliveries and API latency.
//
// It owns one *prometheus.Registry per node (never the global default
// one, so tests and several servers in one process do not share
// counters). The adapters know nothing of Prometheus: they take func hooks
// (httpapi, calls, events) or offer snapshots of counters they already
// keep (voip, media, the stores), and main hands them this package's
// methods. Counters that adapters keep themselves are read at scrape time,
// so no hot path (the RTP relay above all) pays for metrics.
package metrics
