package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// A database that already holds ended calls when 004 is applied must get
// their talk counted: the migration fills account_daily_talk from the
// calls. The store writes the calls; 004 is then undone by hand and
// applied again.
func TestDailyTalkMigrationCountsExistingCalls(t *testing.T) {
	now := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	_, url := newSchema(t)
	db := openTest(t, url, func() time.Time { return now })
	ctx := t.Context()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 100, Country: "FR", SIPRealm: "sipsim"}
	if err := db.CreatePhone(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Two calls ended today (90 s and 30.5 s), one yesterday (60 s).
	for i, talk := range []struct{ answered, ended time.Duration }{
		{-time.Hour, -time.Hour + 90*time.Second},
		{-2 * time.Hour, -2*time.Hour + 30500*time.Millisecond},
		{-11 * time.Hour, -11*time.Hour + time.Minute},
	} {
		answered, ended := now.Add(talk.answered), now.Add(talk.ended)
		c := &sipsim.Call{ID: fmt.Sprintf("call_%d", i), AccountID: sipsim.DefaultAccountID, PhoneID: p.ID,
			TargetNumber: "+33698765432", Direction: "outbound", Source: "api",
			Status: sipsim.CallCompleted, EndedReason: sipsim.ReasonTargetHangup, AnsweredAt: &answered, EndedAt: &ended}
		if err := db.CreateCall(ctx, c, nil, sipsim.CallLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, undo := range []string{
		"DROP TRIGGER calls_count_talk ON calls", "DROP FUNCTION calls_count_talk", "DROP TABLE account_daily_talk",
		"CREATE INDEX calls_account_ended ON calls (account_id, ended_at, answered_at)",
		"DELETE FROM schema_migrations WHERE version = 4",
	} {
		if _, err := conn.Exec(ctx, undo); err != nil {
			t.Fatalf("%s: %v", undo, err)
		}
	}
	if err := migrate(ctx, conn.Conn(), migrations, now); err != nil {
		t.Fatal(err)
	}
	for day, want := range map[time.Time]time.Duration{now: 120500 * time.Millisecond, now.Add(-24 * time.Hour): time.Minute} {
		got, err := db.TalkTime(ctx, sipsim.DefaultAccountID, day)
		if err != nil || got != want {
			t.Errorf("TalkTime(%s) = %s, %v; want %s", day.Format(time.DateOnly), got, err, want)
		}
	}
}
