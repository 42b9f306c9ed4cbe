package sipsim

import (
	"errors"
	"fmt"
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
