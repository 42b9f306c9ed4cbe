package sipsim

import (
	"context"
	"time"
)

// PhoneStatus is the administrative state of a phone line.
type PhoneStatus string

const (
	PhoneNotActivated PhoneStatus = "not_activated"
	PhoneActive       PhoneStatus = "active"
	PhoneInactive     PhoneStatus = "inactive"
)

// Valid reports whether s is one of the documented statuses.
func (s PhoneStatus) Valid() bool {
	switch s {
	case PhoneNotActivated, PhoneActive, PhoneInactive:
		return true
	}
	return false
}

// Phone is an employee's line: a SIP account (username = internal number)
// plus the settings the API documents. Field names follow the public Phone
// object.
type Phone struct {
	ID             int64
	AccountID      int64
	Name           string
	Status         PhoneStatus
	InternalNumber int
	Number         string // E.164
	// Country is the ISO 3166 region of Number (e.g. "FR"); it lets the
	// API suggest the E.164 form of a national target number.
	Country   string
	CreatedAt time.Time
	UpdatedAt time.Time

	Group             *PhoneGroup
	OutboundSetting   OutboundSetting
	RecordSetting     RecordSetting
	VoicemailSetting  VoicemailSetting
	ForwardingSetting ForwardingSetting
	AudioSetting      AudioSetting

	// SIP credentials, write-only: the password is kept only as digest HA1
	// values for the account's realm.
	SIPRealm     string
	SIPHA1MD5    string
	SIPHA1SHA256 string
}

// PhoneGroup is the group a phone is assigned to.
type PhoneGroup struct {
	GroupID    int64
	GroupTitle string
}

// OutboundSetting decides the caller ID the target sees.
type OutboundSetting struct {
	OutboundNumber             *string
	UseDifferentOutboundNumber bool
	OutboundNumberPhoneID      *int64
}

// RecordSetting says which calls are recorded.
type RecordSetting struct {
	RecordInboundCall  bool
	RecordOutboundCall bool
}

// VoicemailSetting configures voicemail on the line.
type VoicemailSetting struct {
	AllowVoicemail  bool
	VoicemailFileID *int64
}

// ForwardingSetting configures forced and conditional forwarding.
type ForwardingSetting struct {
	Forced      ForcedForwarding
	Conditional ConditionalForwarding
}

// ForcedForwarding sends every call to ForwardNumber.
type ForcedForwarding struct {
	Enabled       bool
	ForwardNumber *string
}

// ConditionalForwarding sends a call to ForwardNumber when the phone does not
// answer within TimeoutSeconds.
type ConditionalForwarding struct {
	Enabled        bool
	TimeoutSeconds int
	ForwardNumber  *string
}

// AudioSetting references audio files played on the line.
type AudioSetting struct {
	InboundCallPrerollID  *int64
	OutboundCallPrerollID *int64
	NoAnswerFileID        *int64
	WaitPrerollDial       int
}

// CallerID returns the number the target should see for calls from p when
// it does not borrow another phone's number: OutboundNumber when set, else
// the phone's own number. With UseDifferentOutboundNumber the caller ID is
// the number of phone OutboundNumberPhoneID, which the calls use case
// looks up.
func (p *Phone) CallerID() string {
	if p.OutboundSetting.OutboundNumber != nil && *p.OutboundSetting.OutboundNumber != "" {
		return *p.OutboundSetting.OutboundNumber
	}
	return p.Number
}

// PhoneFilter selects phones of one account.
type PhoneFilter struct {
	AccountID int64
	Status    *PhoneStatus
}

// PhoneStore persists phones.
type PhoneStore interface {
	// CreatePhone stores p and sets its ID and timestamps.
	// ECONFLICT when internal_number or number is already used in the account.
	CreatePhone(ctx context.Context, p *Phone) error
	// Phone returns one phone of the account. ENOTFOUND.
	Phone(ctx context.Context, accountID, id int64) (*Phone, error)
	// PhoneByInternalNumber finds the phone a SIP user name refers to. ENOTFOUND.
	PhoneByInternalNumber(ctx context.Context, accountID int64, internalNumber int) (*Phone, error)
	// Phones lists phones matching f, ordered by id.
	Phones(ctx context.Context, f PhoneFilter) ([]*Phone, error)
	// UpdatePhone replaces the stored phone with p (matched by account and
	// ID) and sets UpdatedAt. ENOTFOUND, ECONFLICT as for CreatePhone.
	UpdatePhone(ctx context.Context, p *Phone) error
	// DeletePhone removes a phone and its registrations. ENOTFOUND;
	// ECONFLICT while the phone has an active call.
	DeletePhone(ctx context.Context, accountID, id int64) error
}
