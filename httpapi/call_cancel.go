package httpapi

import (
	"bytes"
	"net/http"
)

// handleCancelCall hangs up a call: CANCEL while it rings, BYE once
// answered. It answers with the call as it stands afterwards; a call that
// is already over is returned unchanged, so retrying is safe. Served on
// DELETE /api/v2/calls/{id} and POST /api/v2/calls/{id}/hangup (for
// clients that cannot send DELETE).
func handleCancelCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := readNoFields(w, r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		call, err := cfg.Calls.CancelCall(r.Context(), tokenFrom(r.Context()).AccountID, r.PathValue("id"))
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		v, err := renderCall(r.Context(), cfg, call)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		writeData(w, r, cfg, http.StatusOK, v)
	})
}

// readNoFields accepts a request body that is empty or an empty JSON
// object, the two ways clients send "nothing".
func readNoFields(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	o, err := parseObject(body)
	if err != nil {
		return err
	}
	return o.finish()
}
