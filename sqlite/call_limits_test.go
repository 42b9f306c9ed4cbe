package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// The limits are counted on every call placed, inside the write
// transaction that every other write waits for: each count must be an
// index search, never a scan of the account's history.
func TestCallLimitQueryPlans(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "sipsim.db"), fixedClock())
	at := encodeTime(time.Date(2024, 6, 20, 14, 0, 0, 0, time.UTC))
	tokenCount, tokenNth := windowQueries(tokenCalls)
	phoneCount, phoneNth := windowQueries(phoneCalls)
	for _, tt := range []struct {
		name    string
		indexes []string
		query   string
		args    []any
	}{
		{"active calls", []string{"calls_account_status_created"}, activeCountQuery, []any{1}},
		{"calls of a token", []string{"calls_token_created"}, tokenCount, []any{7, at}},
		{"oldest call of a token", []string{"calls_token_created"}, tokenNth, []any{7, at, 2}},
		{"calls of a phone", []string{"calls_account_phone_created"}, phoneCount, []any{1, 3, at}},
		{"oldest call of a phone", []string{"calls_account_phone_created"}, phoneNth, []any{1, 3, at, 2}},
		{"talk time", []string{"account_daily_talk", "calls_account_status_created"}, talkTimeQuery,
			[]any{1, "2024-01-15", at, 1, string(sipsim.CallInProgress)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, db, tt.query, tt.args...)
			for _, index := range tt.indexes {
				if !strings.Contains(plan, "INDEX "+index+" ") && !strings.Contains(plan, "SEARCH "+index+" USING PRIMARY KEY") {
					t.Errorf("plan:\n%s\nwant a search of %s", plan, index)
				}
			}
			if strings.Contains(plan, "SCAN calls") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan:\n%s\nwant no scan of calls and no sort", plan)
			}
		})
	}
}
