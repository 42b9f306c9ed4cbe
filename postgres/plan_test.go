package postgres

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// queryPlan returns PostgreSQL's plan for query, one line a step.
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// fillForPlans stores a history the planner can weigh indexes on (on
// empty tables every plan costs the same): 100 accounts, 20,000 calls of
// 2,000 phones to 5,000 numbers over a month, nearly all ended, with their
// events and some webhook deliveries, then updates the statistics.
func fillForPlans(t *testing.T, db *DB) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO accounts (id, name, sip_realm, country, created_at)
			SELECT g, 'a' || g, 'a' || g || '.example.com', 'FR', now() FROM generate_series(2, 100) g`,
		`INSERT INTO calls (id, account_id, phone_id, target_number, caller_id, direction, source, status,
			ended_reason, created_at, updated_at, answered_at, ended_at,
			agent_status, agent_sip_code, agent_contact, agent_forwarded_to, agent_answered_by,
			target_status, target_sip_code, target_contact, target_forwarded_to, target_answered_by,
			has_recording, recording_duration, token_id)
		SELECT 'call_' || g, 1 + g % 100, g % 2000, '+336' || (g % 5000), '', 'outbound', 'api',
			CASE WHEN g < 100 THEN 'in_progress' WHEN g % 5 = 1 THEN 'no_answer' ELSE 'completed' END,
			'', c, c, c + interval '10 s', CASE WHEN g >= 100 THEN c + interval '70 s' END,
			'completed', 200, '', '', '', 'completed', 200, '', '', '', false, 0, g % 300
		FROM generate_series(1, 20000) g, LATERAL (SELECT timestamptz '2024-06-20 14:00:00Z' - g * interval '2 min' AS c) t`,
		`INSERT INTO call_events (account_id, call_id, type, status, at, call_snapshot)
			SELECT account_id, id, 'call.created', status, created_at, '{}'::jsonb FROM calls
			UNION ALL SELECT account_id, id, 'call.ended', status, created_at, '{}'::jsonb FROM calls`,
		`INSERT INTO webhooks (account_id, url, secret, description, event_types, created_at)
			SELECT g, 'https://crm.example.com', 's', '', '{}', now() FROM generate_series(1, 100) g`,
		`INSERT INTO webhook_deliveries (account_id, webhook_id, event_id, event_type, status, attempts,
			next_attempt_at, created_at, updated_at)
			SELECT e.account_id, e.account_id, e.id, e.type, CASE WHEN e.id % 40 = 0 THEN 'pending' ELSE 'succeeded' END,
				1, e.at, e.at, e.at FROM call_events e WHERE e.id % 4 = 0`,
		`ANALYZE`,
	} {
		if _, err := db.pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestQueryPlans checks that the frequent reads, and the counts CreateCall
// makes while it holds its account's lock, are answered from the index
// meant for them, in the order they return, without scanning the table or
// sorting.
func TestQueryPlans(t *testing.T) {
	db := openFresh(t, fixedClock())
	fillForPlans(t, db)
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
		name    string
		indexes []string // each searched; "a|b": a or b
		q       sqlQuery
	}{
		{"calls", []string{"calls_account_created"}, calls(sipsim.CallFilter{})},
		{"calls after a cursor", []string{"calls_account_created"}, calls(sipsim.CallFilter{After: cursor})},
		{"calls of a phone", []string{"calls_account_phone_created"}, calls(sipsim.CallFilter{PhoneID: 1, After: cursor})},
		{"calls in a status", []string{"calls_account_status_created"}, calls(sipsim.CallFilter{Statuses: []sipsim.CallStatus{sipsim.CallNoAnswer}})},
		{"calls to a number", []string{"calls_account_target_created"}, calls(sipsim.CallFilter{TargetNumber: "+33698765432"})},
		{"recent call", []string{"calls_account_phone_target_created"},
			query(callSelect+recentCallQuery, acct, 1, "+33698765432", at)},
		{"active call", []string{"calls_one_active_per_phone"},
			query(callSelect+"WHERE account_id = $1 AND phone_id = $2 AND "+activeCondition, acct, 1)},
		{"a call's events", []string{"call_events_account_call"}, events(sipsim.EventFilter{CallID: "call_x", AfterID: 42})},
		{"an account's events", []string{"call_events_account"}, events(sipsim.EventFilter{AfterID: 42, Limit: 100})},
		{"due deliveries", []string{"webhook_deliveries_due"}, query(deliverySelect+dueDeliveriesQuery, at, 100)},
		{"active calls of an account", []string{"calls_account_status_created"}, query(activeCountQuery, acct)},
		{"calls of a token", []string{"calls_token_created"}, query(tokenCountQuery, 7, at)},
		{"oldest call of a token", []string{"calls_token_created"}, query(tokenNthQuery, 7, at, 2)},
		{"calls of a phone in the window", []string{"calls_account_phone_created|calls_account_phone_target_created"}, query(phoneCountQuery, acct, 3, at)},
		{"oldest call of a phone", []string{"calls_account_phone_created"}, query(phoneNthQuery, acct, 3, at, 2)},
		{"talk time", []string{"account_daily_talk_pkey", "calls_account_status_created"},
			query(talkTimeQuery, acct, "2024-01-15", at, string(sipsim.CallInProgress))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, db, tt.q.text, tt.q.args...)
			for _, index := range tt.indexes {
				if !slices.ContainsFunc(strings.Split(index, "|"), func(i string) bool { return strings.Contains(plan, " "+i+" ") }) {
					t.Errorf("plan:\n%s\nwant a search of %s", plan, strings.ReplaceAll(index, "|", " or "))
				}
			}
			if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
				t.Errorf("plan:\n%s\nwant no scan of the table and no sort", plan)
			}
		})
	}
}
