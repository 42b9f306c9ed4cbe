package httpapi

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

type observed struct {
	method, route string
	status        int
}

// Metrics see each request under its route's pattern, never its path:
// ids in paths would make a series per phone.
func TestObserveRequestNamesTheRoutePattern(t *testing.T) {
	var (
		mu  sync.Mutex
		got []observed
	)
	a := newTestAPIWith(t, func(c *Config) {
		c.ObserveRequest = func(method, route string, status int, d time.Duration) {
			if d < 0 {
				t.Errorf("%s %s: negative duration %v", method, route, d)
			}
			mu.Lock()
			got = append(got, observed{method, route, status})
			mu.Unlock()
		}
	})
	a.do(t, http.MethodGet, "/api/v2/phones/12345", tokAll, "")
	a.do(t, http.MethodGet, "/api/v2/phones", "", "")
	a.do(t, http.MethodGet, "/api/v2/nope/12345", tokAll, "")
	a.do(t, http.MethodPut, "/api/v2/phones/1", tokAll, "")
	a.do(t, "BREW", "/api/v2/phones", tokAll, "")

	want := []observed{
		{"GET", "/api/v2/phones/{id}", http.StatusNotFound}, // the fake has no phone 12345
		{"GET", "/api/v2/phones", http.StatusUnauthorized},
		{"GET", "unmatched", http.StatusNotFound},
		{"PUT", "unmatched", http.StatusMethodNotAllowed},
		{"OTHER", "unmatched", http.StatusMethodNotAllowed},
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("observed\n%v\nwant\n%v", got, want)
	}
}
