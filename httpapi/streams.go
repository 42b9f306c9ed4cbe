package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sipsim/sipsim"
)

// handleCallEvents streams one call's events: everything stored since
// Last-Event-ID (or from the start), then each new one as it is stored.
// The server ends the stream after call.ended.
func handleCallEvents(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := queryParams(r, "last_event_id")
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		after, _, err := lastEventID(r, q)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		accountID, callID := tokenFrom(r.Context()).AccountID, r.PathValue("id")
		// Subscribe before reading the store: an event stored after the
		// backlog is read still wakes the stream.
		f := newFollower(cfg, sipsim.EventFilter{AccountID: accountID, CallID: callID, AfterID: after})
		defer f.stop()
		call, err := cfg.Calls.Call(r.Context(), accountID, callID)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		// A call's final status is stored with its call.ended event: if the
		// call is over now, the backlog holds everything there is to send.
		f.finalAtStart = call.Status.Final()
		f.serve(w, r)
	})
}

// handleAccountEvents streams the events of every call of the account:
// everything stored since Last-Event-ID, or, without one, only what is
// stored from now on. It runs until the client leaves.
func handleAccountEvents(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := queryParams(r, "last_event_id")
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		after, given, err := lastEventID(r, q)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		accountID := tokenFrom(r.Context()).AccountID
		f := newFollower(cfg, sipsim.EventFilter{AccountID: accountID, AfterID: after})
		defer f.stop()
		if !given {
			if f.filter.AfterID, err = cfg.Events.LatestEventID(r.Context(), accountID); err != nil {
				writeError(w, r, cfg, err)
				return
			}
			f.announce = true
		}
		f.serve(w, r)
	})
}

// lastEventID reads where a stream resumes: the Last-Event-ID header an
// EventSource sends when it reconnects, or the last_event_id parameter for
// clients that cannot set headers. given is false when neither is there.
func lastEventID(r *http.Request, q url.Values) (id int64, given bool, err error) {
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		vs, ok := q["last_event_id"]
		if !ok {
			return 0, false, nil
		}
		if len(vs) > 1 {
			return 0, false, badRequest("last_event_id must be given once")
		}
		name, v = "last_event_id", vs[0]
	}
	id, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || id < 0 {
		return 0, false, badRequest(name + " must be a non-negative integer")
	}
	return id, true, nil
}
