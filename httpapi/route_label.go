package httpapi

import (
	"net/http"
	"strings"
)

// unmatchedRoute names, for metrics, the requests no route served.
const unmatchedRoute = "unmatched"

// routeOf returns the method and pattern of the route that served r, from
// the pattern the ServeMux set on it (routes are registered as "METHOD
// /path"). A request no route served keeps its method if it is one of
// HTTP's own (anything else becomes "OTHER": clients choose methods
// freely) and gets route "unmatched".
func routeOf(r *http.Request) (method, route string) {
	if m, p, ok := strings.Cut(r.Pattern, " "); ok {
		return m, p
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return r.Method, unmatchedRoute
	}
	return "OTHER", unmatchedRoute
}
