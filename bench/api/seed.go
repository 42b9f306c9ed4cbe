package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/bench/internal/rig"
)

// The data the API serves during the run, written straight to the store
// before the server starts: the call history cannot be made through the
// API without SIP peers answering thousands of calls, and the store's own
// code writes exactly the rows the API would have.
const (
	seedPhones = 100  // an office's lines: GET /api/v2/phones lists them all
	seedCalls  = 2000 // history; GET /api/v2/calls?limit=25 pages through it
)

// seed writes seedPhones phones of the default account, every other one
// registered, and seedCalls ended calls spread over the last days, every
// tenth tagged.
func seed(ctx context.Context, cfg rig.ServerConfig) error {
	base := time.Now().UTC().Add(-seedCalls * time.Minute)
	clock := base
	db, err := rig.OpenStore(ctx, cfg, func() time.Time { return clock })
	if err != nil {
		return err
	}
	defer db.Close()
	acct := sipsim.DefaultAccountID
	phones := make([]int64, 0, seedPhones)
	for i := range seedPhones {
		p := &sipsim.Phone{AccountID: acct, Name: fmt.Sprintf("Desk %d", 100+i), Status: sipsim.PhoneActive,
			InternalNumber: 100 + i, Number: fmt.Sprintf("+3361234%04d", i), Country: "FR", SIPRealm: "sipsim"}
		p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(fmt.Sprint(p.InternalNumber), "sipsim", fmt.Sprintf("secret-%d", i))
		if err := db.CreatePhone(ctx, p); err != nil {
			return fmt.Errorf("seed phone: %w", err)
		}
		phones = append(phones, p.ID)
		if i%2 == 0 {
			r := &sipsim.Registration{AccountID: acct, PhoneID: p.ID, Contact: fmt.Sprintf("sip:%d@192.0.2.%d:5060", p.InternalNumber, 1+i),
				Received: fmt.Sprintf("192.0.2.%d:5060", 1+i), Transport: "udp", UserAgent: "Yealink SIP-T46U 108.86.0.45",
				CallID: fmt.Sprintf("reg-%d", i), CSeq: 2, ExpiresAt: time.Now().UTC().Add(time.Hour)}
			if err := db.SaveRegistration(ctx, r); err != nil {
				return fmt.Errorf("seed registration: %w", err)
			}
		}
	}
	tag := &sipsim.Tag{AccountID: acct, Name: "lead", Color: "#2e7d32"}
	if err := db.CreateTag(ctx, tag); err != nil {
		return fmt.Errorf("seed tag: %w", err)
	}
	for i := range seedCalls {
		clock = base.Add(time.Duration(i) * time.Minute)
		c := endedCall(fmt.Sprintf("call_bench%06d", i), acct, phones[i%len(phones)], i, clock)
		if err := db.CreateCall(ctx, c, &sipsim.CallEvent{Type: sipsim.EventCallEnded, Status: c.Status, At: clock}, sipsim.CallLimits{}); err != nil {
			return fmt.Errorf("seed call: %w", err)
		}
		if i%10 == 0 {
			if err := db.TagCall(ctx, acct, c.ID, tag.ID); err != nil {
				return fmt.Errorf("seed tag on call: %w", err)
			}
		}
	}
	return nil
}

// endedCall is a call as the engine leaves it: most completed after some
// talk, some not answered by the target, a few busy.
func endedCall(id string, acct, phoneID int64, i int, at time.Time) *sipsim.Call {
	ts := func(d time.Duration) *time.Time { t := at.Add(d); return &t }
	c := &sipsim.Call{ID: id, AccountID: acct, PhoneID: phoneID, TargetNumber: fmt.Sprintf("+3369876%04d", i%10000),
		CallerID: "+33123456789", Direction: "outbound", Source: "api", TokenID: 1}
	c.AgentLeg = sipsim.Leg{Status: sipsim.LegCompleted, SIPCode: 200, Contact: "sip:100@192.0.2.1:5060", AnsweredBy: sipsim.AnsweredByPhone,
		StartedAt: ts(0), RingingAt: ts(100 * time.Millisecond), AnsweredAt: ts(3 * time.Second), EndedAt: ts(95 * time.Second)}
	c.TargetLeg = sipsim.Leg{Status: sipsim.LegCompleted, SIPCode: 200, StartedAt: ts(3 * time.Second), RingingAt: ts(4 * time.Second),
		AnsweredAt: ts(10 * time.Second), EndedAt: ts(95 * time.Second)}
	c.Status, c.EndedReason, c.AnsweredAt, c.EndedAt = sipsim.CallCompleted, sipsim.ReasonTargetHangup, ts(10*time.Second), ts(95*time.Second)
	switch i % 10 {
	case 7, 8:
		c.TargetLeg.Status, c.TargetLeg.SIPCode, c.TargetLeg.AnsweredAt = sipsim.LegNoAnswer, 487, nil
		c.Status, c.EndedReason, c.AnsweredAt = sipsim.CallNoAnswer, sipsim.ReasonTargetNoAnswer, nil
	case 9:
		c.TargetLeg.Status, c.TargetLeg.SIPCode, c.TargetLeg.AnsweredAt = sipsim.LegBusy, 486, nil
		c.Status, c.EndedReason, c.AnsweredAt = sipsim.CallBusy, sipsim.ReasonTargetBusy, nil
	}
	return c
}
