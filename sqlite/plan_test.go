package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// queryPlan returns SQLite's plan for query, one step a line.
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

// TestQueryPlans checks that the frequent reads are answered from an index
// in the order they return, without scanning the table or sorting: the
// history listing with its common filters and cursor, the double-click
// guard, event streams and the webhook senders' queue.
func TestQueryPlans(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	acct := sipsim.DefaultAccountID
	at := time.Date(2024, 6, 20, 14, 0, 0, 0, time.UTC)
	cursor := &sipsim.CallCursor{CreatedAt: at, ID: "call_x"}
	type sqlQuery struct {
		text string
		args []any
	}
	calls := func(f sipsim.CallFilter) sqlQuery {
		f.AccountID = acct
		where, args := callsQuery(f)
		return sqlQuery{callSelect + where, args}
	}
	events := func(f sipsim.EventFilter) sqlQuery {
		f.AccountID = acct
		where, args := eventsQuery(f)
		return sqlQuery{eventSelect + where, args}
	}
	query := func(text string, args ...any) sqlQuery { return sqlQuery{text, args} }
	for _, tt := range []struct {
		name  string
		index string
		q     sqlQuery
	}{
		{"calls", "calls_account_created", calls(sipsim.CallFilter{})},
		{"calls after a cursor", "calls_account_created", calls(sipsim.CallFilter{After: cursor})},
		{"calls of a phone", "calls_account_phone_created", calls(sipsim.CallFilter{PhoneID: 1, After: cursor})},
		{"calls in a status", "calls_account_status_created", calls(sipsim.CallFilter{Statuses: []sipsim.CallStatus{sipsim.CallCompleted}})},
		{"calls to a number", "calls_account_target_created", calls(sipsim.CallFilter{TargetNumber: "+33698765432"})},
		{"recent call", "calls_account_phone_target_created",
			query(callSelect+recentCallQuery, acct, 1, "+33698765432", encodeTime(at))},
		{"a call's events", "call_events_account_call", events(sipsim.EventFilter{CallID: "call_x", AfterID: 42})},
		{"an account's events", "call_events_account", events(sipsim.EventFilter{AfterID: 42, Limit: 100})},
		{"due deliveries", "webhook_deliveries_due", query(deliverySelect+dueDeliveriesQuery, encodeTime(at), 100)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, db, tt.q.text, tt.q.args...)
			if !strings.Contains(plan, "INDEX "+tt.index+" ") || strings.Contains(plan, "TEMP B-TREE") {
				t.Fatalf("plan:\n%s\nwant a search of %s without a sort", plan, tt.index)
			}

		})
	}
}

// TestTalkTimeReadsTheIndexAlone checks the daily-minutes sum of every
// call placed: the status index alone must answer it (migration 012),
// without reading each call in progress.
func TestTalkTimeReadsTheIndexAlone(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	acct := sipsim.DefaultAccountID
	plan := queryPlan(t, db, talkTimeQuery, acct, "2024-06-20", encodeTime(time.Now()), acct, string(sipsim.CallInProgress))
	if !strings.Contains(plan, "COVERING INDEX calls_account_status_created ") {
		t.Fatalf("plan:\n%s\nwant calls_account_status_created to cover the sum", plan)
	}
}
