package httpapi

import (
	"net/http"

	"github.com/sipsim/sipsim"
)

// handleHealth answers 200 once the node serves calls, 503 before and while
// shutting down, so a load balancer or a test can wait on it.
func handleHealth(cfg Config) http.Handler {
	type response struct {
		Status string `json:"status"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cfg.Ready() {
			writeError(w, r, cfg, sipsim.Errorf(sipsim.EUNAVAILABLE, "Service is not ready"))
			return
		}
		writeData(w, r, cfg, http.StatusOK, response{Status: "ok"})
	})
}
