package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// queryParams parses the query string and rejects any parameter not in
// allowed: a misspelt filter silently ignored would return the wrong data.
func queryParams(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("query string is malformed")
	}
	var unknown []string
	for name := range q {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, fmt.Sprintf("unknown query parameter %q", name))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, badRequest(unknown...)
	}
	return q, nil
}

// resourceID reads the integer {id} of a route addressing one resource,
// which takes no query parameters.
func resourceID(r *http.Request) (int64, error) {
	if _, err := queryParams(r); err != nil {
		return 0, err
	}
	return pathID(r)
}

// pathID reads the integer {id} of a route.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id must be a positive integer")
	}
	return id, nil
}

// limitParam reads an optional page size between 1 and maxLimit.
func limitParam(q url.Values, defaultLimit, maxLimit int) (int, error) {
	vs, ok := q["limit"]
	if !ok {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(vs[0])
	if len(vs) > 1 || err != nil || n < 1 || n > maxLimit {
		return 0, badRequest(fmt.Sprintf("limit must be an integer between 1 and %d", maxLimit))
	}
	return n, nil
}
