package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every sipsim metric.
const namespace = "sipsim"

// Registry is one node's metrics. Its methods register a group of metrics
// each and return what feeds them; each may be called once.
type Registry struct {
	reg *prometheus.Registry
	log *slog.Logger
}

// New returns a registry holding the Go runtime's and the process's
// metrics (go_*, process_*). log receives scrape errors; nil discards them.
func New(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg, log: log}
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A metric that cannot be read (a store query that failed or
// timed out) is left out and logged; the others are still served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		ErrorLog:      scrapeLogger{r.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      r.reg, // promhttp_metric_handler_errors_total
	})
}

// Gatherer is the registry as Prometheus' client reads it, for tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// scrapeLogger is promhttp's Logger over slog.
type scrapeLogger struct{ log *slog.Logger }

func (l scrapeLogger) Println(v ...any) {
	l.log.Warn("metrics scrape", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
