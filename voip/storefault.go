package voip

import (
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
)

// storeRetryAfter is the Retry-After, in seconds, of a 503 for a database
// that is down: long enough not to hammer it, short enough that a phone
// registers again soon after it is back.
const storeRetryAfter = "10"

// storeFailure answers a request the store could not serve. A database that
// is unavailable (down, locked, disk full) gets 503 with Retry-After (RFC
// 3261 section 21.5.4): the phone retries later, or fails over to another
// registrar it knows; anything else is our bug and gets 500.
func storeFailure(req *sip.Request, err error) *sip.Response {
	if sipsim.ErrorCode(err) != sipsim.EUNAVAILABLE {
		return sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil)
	}
	res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", storeRetryAfter))
	return res
}
