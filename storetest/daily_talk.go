package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// RunDailyTalkMigration checks that a database already holding ended
// calls when the daily-talk migration is applied gets their talk
// counted: the migration fills account_daily_talk from the calls. The
// store s, opened at now, writes the calls; redo undoes the migration by
// hand and applies it again (how is the store's own affair).
func RunDailyTalkMigration(t *testing.T, s Store, now time.Time, redo func(context.Context) error) {
	ctx := t.Context()
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 100, Country: "FR", SIPRealm: "sipsim"}
	must(t, s.CreatePhone(ctx, p))
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
		must(t, s.CreateCall(ctx, c, nil, sipsim.CallLimits{}))
	}
	must(t, redo(ctx))
	for day, want := range map[time.Time]time.Duration{now: 120500 * time.Millisecond, now.Add(-24 * time.Hour): time.Minute} {
		got, err := s.TalkTime(ctx, sipsim.DefaultAccountID, day)
		if err != nil || got != want {
			t.Errorf("TalkTime(%s) = %s, %v; want %s", day.Format(time.DateOnly), got, err, want)
		}
	}
}
