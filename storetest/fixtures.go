package storetest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
)

// fullPhone returns a phone of the default account with every field set,
// every nested setting and optional value included. n (0-99) makes its
// internal number and number unique.
func fullPhone(n int) *sipsim.Phone {
	md5, sha := sipsim.DigestHA1(strconv.Itoa(100+n), "sipsim", "secret")
	return &sipsim.Phone{
		AccountID:      sipsim.DefaultAccountID,
		Name:           fmt.Sprintf("Sales Department Phone %d", n),
		Status:         sipsim.PhoneActive,
		InternalNumber: 100 + n,
		Number:         fmt.Sprintf("+336123456%02d", n),
		Country:        "FR",
		Group:          &sipsim.PhoneGroup{GroupID: 5, GroupTitle: "Sales Team"},
		OutboundSetting: sipsim.OutboundSetting{
			OutboundNumber:             ptr("+33987654321"),
			UseDifferentOutboundNumber: true,
			OutboundNumberPhoneID:      ptr(int64(7)),
		},
		RecordSetting:    sipsim.RecordSetting{RecordInboundCall: true, RecordOutboundCall: true},
		VoicemailSetting: sipsim.VoicemailSetting{AllowVoicemail: true, VoicemailFileID: ptr(int64(11))},
		ForwardingSetting: sipsim.ForwardingSetting{
			Forced:      sipsim.ForcedForwarding{Enabled: true, ForwardNumber: ptr("+33555000111")},
			Conditional: sipsim.ConditionalForwarding{Enabled: true, TimeoutSeconds: 25, ForwardNumber: ptr("+33555888999")},
		},
		AudioSetting: sipsim.AudioSetting{
			InboundCallPrerollID:  ptr(int64(12)),
			OutboundCallPrerollID: ptr(int64(13)),
			NoAnswerFileID:        ptr(int64(14)),
			WaitPrerollDial:       3,
		},
		SIPRealm:     "sipsim",
		SIPHA1MD5:    md5,
		SIPHA1SHA256: sha,
	}
}

// minimalPhone returns a phone with only the required fields: no group, no
// optional value, every setting at its zero value.
func minimalPhone(n int) *sipsim.Phone {
	md5, sha := sipsim.DigestHA1(strconv.Itoa(100+n), "sipsim", "secret")
	return &sipsim.Phone{
		AccountID:      sipsim.DefaultAccountID,
		Name:           fmt.Sprintf("Phone %d", n),
		Status:         sipsim.PhoneNotActivated,
		InternalNumber: 100 + n,
		Number:         fmt.Sprintf("+336123456%02d", n),
		Country:        "FR",
		SIPRealm:       "sipsim",
		SIPHA1MD5:      md5,
		SIPHA1SHA256:   sha,
	}
}

// newCall returns an initiating call of the default account for phoneID.
func newCall(id string, phoneID int64) *sipsim.Call {
	return &sipsim.Call{
		ID:           id,
		AccountID:    sipsim.DefaultAccountID,
		PhoneID:      phoneID,
		TargetNumber: "+33698765432",
		CallerID:     "+33987654321",
		Direction:    "outbound",
		Source:       "api",
		Status:       sipsim.CallInitiating,
		AgentLeg:     sipsim.Leg{Status: sipsim.LegIdle},
		TargetLeg:    sipsim.Leg{Status: sipsim.LegIdle},
		NodeID:       "node_fixture",
	}
}

// event returns the event of type typ for c at at.
func event(c *sipsim.Call, typ string, at time.Time) *sipsim.CallEvent {
	return &sipsim.CallEvent{AccountID: c.AccountID, CallID: c.ID, Type: typ, Status: c.Status, At: at}
}

// finish moves c to a final status, with timestamps as a completed call has.
func finish(c *sipsim.Call, status sipsim.CallStatus, reason sipsim.EndReason, at time.Time) {
	c.Status, c.EndedReason, c.EndedAt = status, reason, ptr(at)
}
