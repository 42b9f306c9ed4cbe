package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
)

// setRateLimitHeaders tells a client refused for a limit (429) when to come
// back, in the headers clients and proxies read: Retry-After in whole
// seconds rounded up, so a client that waits exactly that long is not
// refused again; X-RateLimit-Limit, X-RateLimit-Remaining (0: the limit was
// reached) and X-RateLimit-Reset, the Unix second the next request is
// allowed. A limit that frees at an unknown time (calls at once: when one
// ends) has no Retry-After and no Reset. Other errors set nothing.
func setRateLimitHeaders(h http.Header, err error, now time.Time) {
	if sipsim.ErrorCode(err) != sipsim.ERATELIMIT {
		return
	}
	limit, wait := sipsim.ErrorRateLimit(err)
	if limit > 0 {
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", "0")
	}
	if wait > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
		reset := now.Add(wait)
		secs := reset.Unix()
		if reset.Nanosecond() > 0 {
			secs++ // rounded up, like Retry-After
		}
		h.Set("X-RateLimit-Reset", strconv.FormatInt(secs, 10))
	}
}
