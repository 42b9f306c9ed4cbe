package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// callStatuses lists every call status in the order a call goes through
// them; messages and the OpenAPI enum name them in this order.
var callStatuses = []sipsim.CallStatus{
	sipsim.CallInitiating, sipsim.CallRingingAgent, sipsim.CallDialingTarget, sipsim.CallInProgress,
	sipsim.CallCompleted, sipsim.CallBusy, sipsim.CallNoAnswer, sipsim.CallFailed, sipsim.CallCanceled,
}

// endReasons lists every reason a call can end with. The root package has
// the constants but no list; the OpenAPI test keeps this one and the
// document's enum equal.
var endReasons = []sipsim.EndReason{
	sipsim.ReasonAgentHangup, sipsim.ReasonTargetHangup, sipsim.ReasonAgentNoAnswer, sipsim.ReasonAgentBusy,
	sipsim.ReasonAgentDeclined, sipsim.ReasonAgentUnreachable, sipsim.ReasonAgentFailed,
	sipsim.ReasonTargetNoAnswer, sipsim.ReasonTargetBusy, sipsim.ReasonTargetDeclined,
	sipsim.ReasonTrunkRejected, sipsim.ReasonTrunkUnreachable, sipsim.ReasonAgentHungUpEarly,
	sipsim.ReasonMediaTimeout, sipsim.ReasonMaxDuration, sipsim.ReasonCodecMismatch,
	sipsim.ReasonCanceledViaAPI, sipsim.ReasonServerShutdown, sipsim.ReasonServerRestart, sipsim.ReasonNodeLost,
	sipsim.ReasonInternalError,
}

// Page sizes of GET /api/v2/calls.
const (
	defaultCallPage = 25
	maxCallPage     = 100
)

// callListParams are the query parameters GET /api/v2/calls accepts.
var callListParams = []string{
	"status", "phone_id", "target_number", "tag", "created_after", "created_before",
	"ended_reason", "source", "direction", "limit", "cursor",
}

// parseCallQuery reads the filters of GET /api/v2/calls. It reports every
// bad parameter at once, one message each, naming the parameter. The
// account is the caller's to set; Limit is the page size asked for.
func parseCallQuery(q url.Values) (sipsim.CallFilter, error) {
	f := sipsim.CallFilter{Limit: defaultCallPage}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// one returns the single value of a parameter that may appear once.
	one := func(name string) (string, bool) {
		vs, ok := q[name]
		if !ok {
			return "", false
		}
		if len(vs) > 1 {
			fail("%s must be given once", name)
			return "", false
		}
		return vs[0], true
	}

	if vs, ok := q["status"]; ok {
		f.Statuses = listParam(vs, func(s string) (sipsim.CallStatus, bool) {
			st := sipsim.CallStatus(s)
			return st, st.Valid()
		})
		if f.Statuses == nil {
			fail("status must be one or more of %s, separated by commas", joinNames(callStatuses))
		}
	}
	if vs, ok := q["ended_reason"]; ok {
		f.EndedReasons = listParam(vs, func(s string) (sipsim.EndReason, bool) {
			r := sipsim.EndReason(s)
			return r, slices.Contains(endReasons, r)
		})
		if f.EndedReasons == nil {
			fail("ended_reason must be one or more of %s, separated by commas", joinNames(endReasons))
		}
	}
	if v, ok := one("phone_id"); ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			fail("phone_id must be a positive integer")
		}
		f.PhoneID = id
	}
	if v, ok := one("target_number"); ok {
		if n, ok := queryNumber(v); ok {
			f.TargetNumber = n
		} else {
			problems = append(problems, invalidNumber("target_number", v, ""))
		}
	}
	for _, p := range []struct {
		name   string
		values []string
		dst    *string
	}{{"source", sipsim.CallSources, &f.Source}, {"direction", sipsim.CallDirections, &f.Direction}} {
		if v, ok := one(p.name); ok {
			if !slices.Contains(p.values, v) {
				fail("%s must be one of %s", p.name, strings.Join(p.values, ", "))
			}
			*p.dst = v
		}
	}
	if v, ok := one("tag"); ok {
		name := strings.TrimSpace(v)
		if name == "" || utf8.RuneCountInString(name) > maxTagName || !utf8.ValidString(name) {
			fail("tag must be a tag name of 1 to %d characters", maxTagName)
		}
		f.Tag = name
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}} {
		if v, ok := one(p.name); ok {
			t, ok := queryTime(v)
			if !ok {
				fail("%s must be an RFC 3339 time, e.g. 2024-01-15T10:30:00Z", p.name)
				continue
			}
			*p.dst = &t
		}
	}
	if f.CreatedAfter != nil && f.CreatedBefore != nil && !f.CreatedAfter.Before(*f.CreatedBefore) {
		fail("created_after must be before created_before")
	}
	if v, ok := one("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCallPage {
			fail("limit must be an integer between 1 and %d", maxCallPage)
		}
		f.Limit = n
	}
	if v, ok := one("cursor"); ok {
		c, err := decodeCursor(v)
		if err != nil {
			fail("cursor is invalid")
		}
		f.After = c
	}
	if len(problems) > 0 {
		return sipsim.CallFilter{}, badRequest(problems...)
	}
	return f, nil
}

// listParam reads a parameter that may be repeated and comma-separated
// ("status=busy,no_answer&status=failed") into distinct values, or nil if
// any value is empty or not valid.
func listParam[T comparable](values []string, valid func(string) (T, bool)) []T {
	var out []T
	for _, v := range values {
		for s := range strings.SplitSeq(v, ",") {
			t, ok := valid(strings.TrimSpace(s))
			if !ok {
				return nil
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// queryNumber reads an E.164 number from a query string. A '+' that was
// not percent-encoded arrives as a space (form encoding); a number that
// is valid once it is put back is accepted rather than refused over a
// detail of URL escaping.
func queryNumber(v string) (string, bool) {
	if e164.Valid(v) {
		return v, true
	}
	if fixed, ok := strings.CutPrefix(v, " "); ok && e164.Valid("+"+fixed) {
		return "+" + fixed, true
	}
	return "", false
}

// queryTime reads an RFC 3339 time, fixing an unescaped '+' of the zone
// offset the same way.
func queryTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil && strings.Count(v, " ") == 1 {
		t, err = time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
	}
	return t, err == nil
}
