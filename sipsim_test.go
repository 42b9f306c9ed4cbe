package sipsim

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestErrorHelpers(t *testing.T) {
	e := Errorf(ECONFLICT, "Phone is currently on another call")
	e.Details = []string{"Retry when it ends"}
	wrapped := fmt.Errorf("create: %w", e)
	if ErrorCode(wrapped) != ECONFLICT || ErrorMessage(wrapped) != "Phone is currently on another call" || len(ErrorDetails(wrapped)) != 1 {
		t.Fatalf("wrapped *Error lost its code, message or details")
	}
	plain := errors.New("disk I/O error at /var/lib/sipsim")
	if ErrorCode(plain) != EINTERNAL || ErrorMessage(plain) != "Internal error" || ErrorDetails(plain) != nil {
		t.Fatalf("a plain error must be internal and say nothing of its cause")
	}
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" {
		t.Fatal("nil must have no code")
	}
}

// RFC 2617 section 3.5's example: Mufasa / testrealm@host.com / Circle Of Life.
func TestDigestHA1(t *testing.T) {
	md5hex, sha := DigestHA1("Mufasa", "testrealm@host.com", "Circle Of Life")
	if md5hex != "939e7578ed9e3c518a452acee763bce9" {
		t.Errorf("MD5 HA1 = %s", md5hex)
	}
	if len(sha) != 64 {
		t.Errorf("SHA-256 HA1 = %s", sha)
	}
}

func TestTokens(t *testing.T) {
	a, b := NewTokenSecret(), NewTokenSecret()
	if a == b || !strings.HasPrefix(a, "sipsim_") {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashToken(a) == HashToken(b) || len(HashToken(a)) != 64 {
		t.Fatal("hashes must differ per secret and be hex SHA-256")
	}
	tok := &Token{Scopes: []Scope{ScopeCallsCreate}}
	if !tok.Has(ScopeCallsCreate) || tok.Has(ScopePhonesRead) {
		t.Fatal("Has")
	}
	if Scope("calls.destroy").Valid() {
		t.Fatal("unknown scope accepted")
	}
}

func TestCallStatuses(t *testing.T) {
	for _, s := range ActiveCallStatuses {
		if s.Final() || !s.Valid() {
			t.Errorf("%s must be active and valid", s)
		}
	}
	for _, s := range []CallStatus{CallCompleted, CallBusy, CallNoAnswer, CallFailed, CallCanceled} {
		if !s.Final() || !s.Valid() {
			t.Errorf("%s must be final", s)
		}
	}
	if CallStatus("ringing").Valid() {
		t.Error("unknown status accepted")
	}
}

func TestCallDurations(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	c := &Call{TargetLeg: Leg{StartedAt: at(5)}, AnsweredAt: at(12), EndedAt: at(72)}
	if c.RingSeconds() != 7 || c.TalkSeconds() != 60 {
		t.Fatalf("ring %v talk %v", c.RingSeconds(), c.TalkSeconds())
	}
	unanswered := &Call{TargetLeg: Leg{StartedAt: at(5)}, EndedAt: at(35)}
	if unanswered.RingSeconds() != 30 || unanswered.TalkSeconds() != 0 {
		t.Fatalf("unanswered ring %v talk %v", unanswered.RingSeconds(), unanswered.TalkSeconds())
	}
}

func TestCallerID(t *testing.T) {
	p := &Phone{Number: "+33612345678"}
	if p.CallerID() != "+33612345678" {
		t.Fatal("default caller ID is the phone's number")
	}
	out := "+33987654321"
	p.OutboundSetting.OutboundNumber = &out
	if p.CallerID() != out {
		t.Fatal("outbound_number wins")
	}
}

func TestCallCloneSharesNothing(t *testing.T) {
	at := func(s int) *time.Time { v := time.Date(2024, 1, 15, 10, 30, s, 0, time.UTC); return &v }
	c := &Call{
		ID: "call_x", Status: CallCompleted, AnsweredAt: at(3), EndedAt: at(9),
		AgentLeg:  Leg{Status: LegCompleted, StartedAt: at(0), RingingAt: at(1), AnsweredAt: at(2), EndedAt: at(9)},
		TargetLeg: Leg{Status: LegCompleted, StartedAt: at(2), RingingAt: at(2), AnsweredAt: at(3), EndedAt: at(9)},
		Tags:      []Tag{{ID: 1, Name: "lead"}},
		Dispatch:  &CallDispatch{CallerIDName: "Acme"},
	}
	cp := c.Clone()
	if !reflect.DeepEqual(cp, c) {
		t.Fatalf("clone = %+v\nwant %+v", cp, c)
	}
	// Change everything c points to: the clone must not move.
	for _, p := range []*time.Time{c.AnsweredAt, c.EndedAt, c.AgentLeg.StartedAt, c.AgentLeg.RingingAt,
		c.AgentLeg.AnsweredAt, c.AgentLeg.EndedAt, c.TargetLeg.StartedAt, c.TargetLeg.RingingAt,
		c.TargetLeg.AnsweredAt, c.TargetLeg.EndedAt} {
		*p = p.Add(time.Hour)
	}
	c.Tags[0].Name = "changed"
	c.Dispatch.CallerIDName = "changed"
	if cp.AnsweredAt.Equal(*c.AnsweredAt) || cp.AgentLeg.RingingAt.Equal(*c.AgentLeg.RingingAt) ||
		cp.TargetLeg.EndedAt.Equal(*c.TargetLeg.EndedAt) || cp.Tags[0].Name != "lead" || cp.Dispatch.CallerIDName != "Acme" {
		t.Fatalf("the clone moved with the original: %+v", cp)
	}
	// No tags stays no tags, and an empty list stays empty: a clone
	// equals what decoding the call's JSON gives.
	if (&Call{}).Clone().Tags != nil || (&Call{Tags: []Tag{}}).Clone().Tags == nil {
		t.Fatal("nil and empty tags not kept apart")
	}
}
