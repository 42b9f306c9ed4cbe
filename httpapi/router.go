package httpapi

import (
	"fmt"
	"net/http"
)

// router serves the route table. The ServeMux answers some requests by
// itself (404, 405 with Allow, 307 to a cleaned path) in plain text; router
// restyles those answers into the error envelope so that every response of
// the API has the same shape, while the mux stays the one judge of routing.
type router struct {
	cfg Config
	mux *http.ServeMux
}

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mw := &muxWriter{ResponseWriter: w}
	rt.mux.ServeHTTP(mw, r)
	if mw.routed {
		return
	}
	status := mw.status
	if status == 0 {
		status = http.StatusNotFound
	}
	writeError(w, r, rt.cfg, &httpError{status: status, messages: []string{muxMessage(status, r, w.Header())}})
}

func muxMessage(status int, r *http.Request, h http.Header) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusMethodNotAllowed:
		return fmt.Sprintf("Method %s is not allowed here; allowed: %s", r.Method, h.Get("Allow"))
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusMovedPermanently:
		return "Use " + h.Get("Location")
	}
	return http.StatusText(status)
}

// muxWriter swallows what the mux writes by itself, keeping the status;
// its headers (Allow, Location) go through. A routed handler takes the
// real writer back, so the route's own response is untouched.
type muxWriter struct {
	http.ResponseWriter
	routed bool
	status int
}

func (m *muxWriter) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *muxWriter) Write(b []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return len(b), nil
}

// routed wraps a route's handler so that it marks the request as served by
// a route and writes to the real response writer.
func routed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := w.(*muxWriter); ok {
			m.routed = true
			w = m.ResponseWriter
		}
		h.ServeHTTP(w, r)
	})
}
