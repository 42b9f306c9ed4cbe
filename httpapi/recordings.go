package httpapi

import (
	"net/http"

	"github.com/sipsim/sipsim"
)

// errNoRecordings answers when the server keeps no recordings at all.
var errNoRecordings = sipsim.Errorf(sipsim.ENOTFOUND, "recording not found")

// recordingNotFound is the message of every 404 about a recording: the call
// is unknown, or it has none.
const recordingNotFound = "Recording not found"

// handleGetRecording streams a call's recording as audio/wav. ServeContent
// answers Range and conditional requests, so players can seek.
func handleGetRecording(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Recordings == nil {
			writeError(w, r, cfg, notFoundAs(errNoRecordings, recordingNotFound))
			return
		}
		id := r.PathValue("id")
		f, err := cfg.Recordings.OpenRecording(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, recordingNotFound))
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.wav"`)
		http.ServeContent(w, r, id+".wav", f.ModTime(), f)
	})
}

// handleDeleteRecording removes a call's recording.
func handleDeleteRecording(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Recordings == nil {
			writeError(w, r, cfg, notFoundAs(errNoRecordings, recordingNotFound))
			return
		}
		id := r.PathValue("id")
		if err := cfg.Recordings.DeleteRecording(r.Context(), tokenFrom(r.Context()).AccountID, id); err != nil {
			writeError(w, r, cfg, notFoundAs(err, recordingNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, struct {
			ID      string `json:"id"`
			Deleted bool   `json:"deleted"`
		}{id, true})
	})
}
