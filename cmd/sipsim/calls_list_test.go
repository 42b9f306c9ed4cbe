package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim/wire"
)

// pagedCalls serves n calls (call_n ... call_1, newest first) in pages of
// the requested limit, recording each query.
func pagedCalls(n int, queries *[]url.Values) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		*queries = append(*queries, q)
		limit, _ := strconv.Atoi(q.Get("limit"))
		from := n
		if c := q.Get("cursor"); c != "" {
			from, _ = strconv.Atoi(c)
		}
		var page []wire.Call
		for i := from; i > 0 && len(page) < limit; i-- {
			reason := "target_hangup"
			answered := wire.Time(time.Date(2026, 1, 15, 10, i, 5, 0, time.UTC))
			page = append(page, wire.Call{ID: fmt.Sprintf("call_%d", i), PhoneID: 1, TargetNumber: "+33698765432",
				Status: "completed", EndedReason: reasonPtr(reason), CreatedAt: wire.Time(time.Date(2026, 1, 15, 10, i, 0, 0, time.UTC)),
				AnsweredAt: &answered, TalkDurationSeconds: 4.25, Events: []wire.CallEvent{},
				Tags: []wire.Tag{{ID: 1, Name: "lead"}, {ID: 2, Name: "vip"}}})
		}
		var next any
		if last := from - len(page); last > 0 {
			next = strconv.Itoa(last)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": 200, "request_id": "r", "timestamp": "t", "data": page, "next_cursor": next})
	}
}

func TestCallsListSendsTheFilters(t *testing.T) {
	var queries []url.Values
	api := &fakeAPI{t: t, list: pagedCalls(0, &queries)}
	_, _, err := runCLI(api.start(), "calls", "list", "--status", "completed,busy", "--status", "no_answer", "--phone", "1",
		"--to", "+33698765432", "--tag", "lead", "--since", "2026-01-15T09:00:00Z", "--until", "2026-01-15T11:00:00+01:00",
		"--reason", "target_busy", "--limit", "10")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"status": {"completed", "busy", "no_answer"}, "phone_id": {"1"}, "target_number": {"+33698765432"},
		"tag": {"lead"}, "created_after": {"2026-01-15T09:00:00Z"}, "created_before": {"2026-01-15T10:00:00Z"},
		"ended_reason": {"target_busy"}, "limit": {"10"}}
	if len(queries) != 1 || len(queries[0]) != len(want) {
		t.Fatalf("queries %v, want one with %v", queries, want)
	}
	for k, v := range want {
		if !slices.Equal(queries[0][k], v) {
			t.Errorf("%s = %q, want %q", k, queries[0][k], v)
		}
	}
	if api.auth != "Bearer sipsim_cli_token" {
		t.Errorf("Authorization %q", api.auth)
	}
}

func TestCallsListPrintsATable(t *testing.T) {
	var queries []url.Values
	api := &fakeAPI{t: t, list: pagedCalls(2, &queries)}
	stdout, _, err := runCLI(api.start(), "calls", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if f := strings.Fields(lines[0]); !slices.Equal(f, []string{"ID", "CREATED", "STATUS", "REASON", "PHONE", "TARGET", "TALK", "TAGS"}) {
		t.Fatalf("header %q", lines[0])
	}
	created := time.Date(2026, 1, 15, 10, 2, 0, 0, time.UTC).Local()
	want := []string{"call_2", created.Format("2006-01-02"), created.Format("15:04:05"), "completed", "target_hangup", "1", "+33698765432", "4.2s", "lead,vip"}
	if f := strings.Fields(lines[1]); !slices.Equal(f, want) {
		t.Fatalf("row %q, want fields %q", lines[1], want)
	}
	if queries[0].Get("limit") != "25" {
		t.Errorf("default page size %q, want 25", queries[0].Get("limit"))
	}
}

func TestCallsListLimitSpansPages(t *testing.T) {
	var queries []url.Values
	api := &fakeAPI{t: t, list: pagedCalls(250, &queries)}
	stdout, _, err := runCLI(api.start(), "calls", "list", "--limit", "150", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 150 {
		t.Fatalf("%d lines, want 150", len(lines))
	}
	var first, last wire.Call
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[149]), &last) != nil ||
		first.ID != "call_250" || last.ID != "call_101" {
		t.Fatalf("first %q last %q", first.ID, last.ID)
	}
	if len(queries) != 2 || queries[0].Get("limit") != "100" || queries[1].Get("cursor") != "150" {
		t.Fatalf("queries %v", queries)
	}
}
