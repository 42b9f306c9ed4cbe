package httpapi

import (
	"net/http"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// handleListCalls lists the account's calls, newest first, one page at a
// time. Calls in a list carry no timeline (events is []): fetch one call
// for it.
func handleListCalls(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := queryParams(r, callListParams...)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f, err := parseCallQuery(q)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f.AccountID = tokenFrom(r.Context()).AccountID
		key := listKey{account: f.AccountID, list: sipsim.ListCalls, query: r.URL.RawQuery}
		serveList(w, r, cfg, key, true, func() (any, time.Time, string, error) {
			page := f.Limit
			// One more than the page tells whether a next page exists
			// without a count query.
			f.Limit = page + 1
			calls, err := cfg.Calls.Calls(r.Context(), f)
			if err != nil {
				return nil, time.Time{}, "", err
			}
			next := ""
			if len(calls) > page {
				calls = calls[:page]
				next = encodeCursor(calls[page-1])
			}
			out := make([]wire.Call, 0, len(calls))
			for _, c := range calls {
				out = append(out, wire.NewCall(c, nil))
			}
			// A call shows nothing that changes with time alone.
			return out, time.Time{}, next, nil
		})
	})
}
