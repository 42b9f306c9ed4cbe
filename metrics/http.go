package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP times the API's requests.
type HTTP struct {
	duration *prometheus.HistogramVec
}

// HTTP registers sipsim_http_request_duration_seconds{route,method,code}.
// The API hands it the route's pattern, never the request's path, so the
// series stay as many as the routes.
func (r *Registry) HTTP() *HTTP {
	h := &HTTP{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help: "API requests by route pattern, method and status code: time until the handler returned (event streams: how long they stayed open).",
		// From a cached read (about a millisecond) to a click-to-call
		// that waits on a slow database; event streams land in +Inf.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "code"})}
	r.reg.MustRegister(h.duration)
	return h
}

// Observe records one request.
func (h *HTTP) Observe(method, route string, code int, d time.Duration) {
	h.duration.WithLabelValues(route, method, strconv.Itoa(code)).Observe(d.Seconds())
}
