package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The call history an integrator searches: real calls with different
// outcomes, from two phones, some tagged; every filter returns exactly the
// right calls, newest first, and the cursor walks them all once.

// Targets of the listed calls: the double-click guard refuses the same
// phone and number twice within seconds, and target_number has something
// to filter.
const (
	listTarget1 = "+33698765401"
	listTarget2 = "+33698765402"
	listTarget3 = "+33698765403"
	listTarget4 = "+33698765404"
)

func TestCallHistoryFilters(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{
		Server: serverConfig{Flags: []string{"--target-ring-timeout", "2s"}},
		Phone:  &phoneConfig{OOC: "phone_answer.xml"},
	})
	bob := r.api.createPhone(phoneInput{Name: "Bob", InternalNumber: 102, Number: "+33612345679", SIPPassword: "secret-102"})
	startSIPpPhone(t, r.srv, phoneConfig{User: 102, Password: "secret-102", OOC: "phone_busy.xml"})
	waitRegistration(t, r.api, bob.ID, "registered", 15*time.Second)
	lead, vip := r.api.createTag("lead", "#ff8800"), r.api.createTag("vip", "")

	c1 := placeCall(t, r, r.phone.ID, listTarget1, &carrierConfig{Scenario: "carrier_answer_hangup.xml", Args: []string{"-d", "500"}})
	c2 := placeCall(t, r, r.phone.ID, listTarget2, &carrierConfig{Scenario: "carrier_reject.xml", Code: 486, Reason: "Busy Here"})
	c3 := placeCall(t, r, r.phone.ID, listTarget3, &carrierConfig{Scenario: "carrier_reject.xml", Code: 503, Reason: "Service Unavailable"})
	c4 := placeCall(t, r, bob.ID, listTarget1, nil)
	c5 := placeCall(t, r, r.phone.ID, listTarget4, &carrierConfig{Scenario: "carrier_no_answer.xml"})
	for c, want := range map[*callView]string{&c1: "completed/target_hangup", &c2: "busy/target_busy", &c3: "failed/trunk_rejected",
		&c4: "busy/agent_busy", &c5: "no_answer/target_no_answer"} {
		if got := c.Status + "/" + c.reason(); got != want {
			t.Fatalf("call %s ended %s, want %s", c.ID, describeCall(*c), want)
		}
	}
	tagCall(t, r.api, c1.ID, lead.ID)
	tagCall(t, r.api, c2.ID, lead.ID)
	tagCall(t, r.api, c2.ID, vip.ID)
	tagCall(t, r.api, c4.ID, vip.ID)

	mid := midpoint(t, c2.CreatedAt, c3.CreatedAt)
	id := func(cs ...callView) []string { return callIDs(cs) }
	for _, f := range []struct {
		query string
		want  []string
	}{
		{"", id(c5, c4, c3, c2, c1)},
		{"status=busy", id(c4, c2)},
		{"status=busy&status=failed", id(c4, c3, c2)},
		{"status=busy,completed", id(c4, c2, c1)},
		{"status=in_progress", id()},
		{"ended_reason=target_busy", id(c2)},
		{"ended_reason=target_busy,trunk_rejected", id(c3, c2)},
		{"ended_reason=agent_busy&ended_reason=target_hangup", id(c4, c1)},
		{"tag=lead", id(c2, c1)},
		{"tag=vip", id(c4, c2)},
		{"tag=vip&status=busy&phone_id=" + itoa(bob.ID), id(c4)},
		{"phone_id=" + itoa(bob.ID), id(c4)},
		{"phone_id=" + itoa(r.phone.ID), id(c5, c3, c2, c1)},
		{"phone_id=" + itoa(r.phone.ID) + "&status=busy", id(c2)},
		{"target_number=" + url.QueryEscape(listTarget1), id(c4, c1)},
		{"created_after=" + url.QueryEscape(mid), id(c5, c4, c3)},
		{"created_before=" + url.QueryEscape(mid), id(c2, c1)},
		{"created_after=" + url.QueryEscape(c1.CreatedAt[:4]+"-01-01T00:00:00Z") + "&created_before=" + url.QueryEscape(mid), id(c2, c1)},
	} {
		q, err := url.ParseQuery(f.query)
		if err != nil {
			t.Fatal(err)
		}
		got, next := r.api.listCalls(q)
		if !slices.Equal(callIDs(got), f.want) || next != "" {
			t.Errorf("GET /api/v2/calls?%s = %v next_cursor %q, want %v and no cursor", f.query, callIDs(got), next, f.want)
		}
	}

	// Listed calls carry their tags but not their timelines.
	all, _ := r.api.listCalls(nil)
	for _, c := range all {
		if len(c.Events) != 0 || c.Events == nil {
			t.Errorf("listed call %s has events %v, want [] (fetch the call for its timeline)", c.ID, c.Events)
		}
		if c.ID == c2.ID && !slices.Equal(c.tagNames(), []string{"lead", "vip"}) {
			t.Errorf("listed call %s has tags %v, want [lead vip]", c.ID, c.tagNames())
		}
	}

	// Pages of two, with a call placed between two pages: the walk still
	// returns every call that existed when it began, once, in order.
	page, next := r.api.listCalls(url.Values{"limit": {"2"}})
	walked := callIDs(page)
	c6 := placeCall(t, r, bob.ID, listTarget2, nil)
	for pages := 1; next != ""; pages++ {
		if pages > 5 {
			t.Fatalf("still a next_cursor after %d pages of 2 for 5 calls: %v", pages, walked)
		}
		page, next = r.api.listCalls(url.Values{"limit": {"2"}, "cursor": {next}})
		if len(page) > 2 {
			t.Errorf("page of %d calls with limit=2", len(page))
		}
		walked = append(walked, callIDs(page)...)
	}
	if want := id(c5, c4, c3, c2, c1); !slices.Equal(walked, want) {
		t.Errorf("walking limit=2 pages gave %v, want %v", walked, want)
	}
	if got, _ := r.api.listCalls(url.Values{"limit": {"1"}}); !slices.Equal(callIDs(got), id(c6)) {
		t.Errorf("newest call %v, want %s placed last", callIDs(got), c6.ID)
	}
	walked = nil
	q := url.Values{"limit": {"2"}, "status": {"busy,failed"}}
	for {
		page, next := r.api.listCalls(q)
		walked = append(walked, callIDs(page)...)
		if next == "" || len(walked) > 10 {
			break
		}
		q.Set("cursor", next)
	}
	if want := id(c6, c4, c3, c2); !slices.Equal(walked, want) {
		t.Errorf("walking status=busy,failed by 2 gave %v, want %v", walked, want)
	}
}

// Filters a server cannot understand are refused, naming the parameter.
func TestCallHistoryRefusesInvalidFilters(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	for _, f := range []struct{ query, param string }{
		{"status=ringing_nowhere", "status"},
		{"status=busy,bogus", "status"},
		{"ended_reason=bored", "ended_reason"},
		{"phone_id=abc", "phone_id"},
		{"phone_id=0", "phone_id"},
		{"phone_id=-3", "phone_id"},
		{"target_number=0612", "target_number"},
		{"created_after=yesterday", "created_after"},
		{"created_before=2026-13-01T00:00:00Z", "created_before"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=ten", "limit"},
		{"cursor=not-a-cursor", "cursor"},
	} {
		code, env := r.api.do(http.MethodGet, "/api/v2/calls?"+f.query, nil)
		assertErrorEnvelope(t, code, env, http.StatusBadRequest, "/api/v2/calls", "")
		if !slices.ContainsFunc(env.Errors, func(e string) bool { return strings.Contains(e, f.param) }) {
			t.Errorf("GET /api/v2/calls?%s: errors %q do not name %s", f.query, env.Errors, f.param)
		}
	}
	code, env := r.api.do(http.MethodGet, "/api/v2/calls?cursor=bm90LWpzb24", nil)
	assertErrorEnvelope(t, code, env, http.StatusBadRequest, "/api/v2/calls", "cursor is invalid")
}

// placeCall places a call from a phone to target, with a SIPp carrier for
// it on the trunk port if given, and returns the call once over.
func placeCall(t *testing.T, r *rig, phoneID int64, target string, carrier *carrierConfig) callView {
	t.Helper()
	var cp *sippProc
	if carrier != nil {
		cfg := *carrier
		cfg.Target = target
		if cfg.Caller == "" {
			cfg.Caller = phoneNumber
		}
		cp = startSIPpCarrier(t, r.trunkPort, cfg)
	}
	c := r.api.createCall(phoneID, target)
	got := waitCallEnded(t, r.api, c.ID, 60*time.Second)
	if cp != nil {
		if code := cp.wait(30 * time.Second); code != 0 {
			t.Errorf("carrier SIPp for %s exit code %d, want 0", target, code)
		}
	}
	return got
}

func tagCall(t *testing.T, a *apiClient, callID string, tagID int64) callView {
	t.Helper()
	var c callView
	a.must(http.StatusOK, http.MethodPost, "/api/v2/calls/"+callID+"/tags", map[string]int64{"tag_id": tagID}, &c)
	return c
}

// midpoint is the instant halfway between two created_at values.
func midpoint(t *testing.T, a, b string) string {
	t.Helper()
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil || !ta.Before(tb) {
		t.Fatalf("created_at %q and %q: want two increasing RFC 3339 times (%v, %v)", a, b, err1, err2)
	}
	return ta.Add(tb.Sub(ta) / 2).UTC().Format(time.RFC3339Nano)
}
