package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// Limits of the Phone object's writable fields.
const (
	minInternalNumber     = 100
	maxInternalNumber     = 999
	maxNameLength         = 255
	minPasswordLength     = 8
	maxPasswordLength     = 128
	minForwardTimeout     = 5
	maxForwardTimeout     = 300
	defaultForwardTimeout = 25 // the value of the document's example
)

// phoneReadOnly are the Phone members the server computes.
var phoneReadOnly = []string{"id", "created_at", "updated_at", "sip_username", "sip_domain", "registration"}

// phoneWrite is what a POST or PATCH body asks for besides Phone fields.
type phoneWrite struct {
	password    *string // the new sip_password, when sent
	statusGiven bool
}

// newPhone returns the phone a POST body is applied onto: every setting
// off, nothing forwarded.
func newPhone(accountID int64) *sipsim.Phone {
	p := &sipsim.Phone{AccountID: accountID}
	p.ForwardingSetting.Conditional.TimeoutSeconds = defaultForwardTimeout
	return p
}

// applyPhone writes the members of a body onto p. POST applies onto
// newPhone, PATCH onto the stored phone: absent members keep their value,
// nested objects merge member by member, and an explicit null clears a
// nullable member. Type problems are recorded in o.
func applyPhone(o *object, p *sipsim.Phone) phoneWrite {
	var pw phoneWrite
	o.readOnly(phoneReadOnly...)

	if o.Str("name", &p.Name) {
		p.Name = strings.TrimSpace(p.Name)
	}
	var status string
	if o.Str("status", &status) {
		p.Status = sipsim.PhoneStatus(status)
		pw.statusGiven = true
	}
	var n int64
	if o.Int("internal_number", &n) {
		p.InternalNumber = int(n)
	}
	o.Str("number", &p.Number)
	var password string
	if o.Str("sip_password", &password) {
		pw.password = &password
	}

	if g, present := o.NullableObject("group"); present {
		if g == nil {
			p.Group = nil
		} else {
			var group sipsim.PhoneGroup
			if p.Group != nil {
				group = *p.Group
			}
			g.Int("group_id", &group.GroupID)
			g.Str("group_title", &group.GroupTitle)
			p.Group = &group
		}
	}
	if s, ok := o.Object("outbound_setting"); ok {
		out := &p.OutboundSetting
		s.NullableStr("outbound_number", &out.OutboundNumber)
		s.Bool("use_different_outbound_number", &out.UseDifferentOutboundNumber)
		s.NullableInt("outbound_number_phone_id", &out.OutboundNumberPhoneID)
	}
	if s, ok := o.Object("record_setting"); ok {
		s.Bool("record_inbound_call", &p.RecordSetting.RecordInboundCall)
		s.Bool("record_outbound_call", &p.RecordSetting.RecordOutboundCall)
	}
	if s, ok := o.Object("voicemail_setting"); ok {
		s.Bool("allow_voicemail", &p.VoicemailSetting.AllowVoicemail)
		s.NullableInt("voicemail_file_id", &p.VoicemailSetting.VoicemailFileID)
	}
	if s, ok := o.Object("forwarding_setting"); ok {
		if f, ok := s.Object("forced"); ok {
			f.Bool("enabled", &p.ForwardingSetting.Forced.Enabled)
			f.NullableStr("forward_number", &p.ForwardingSetting.Forced.ForwardNumber)
		}
		if c, ok := s.Object("conditional"); ok {
			cond := &p.ForwardingSetting.Conditional
			c.Bool("enabled", &cond.Enabled)
			if c.Int("timeout_seconds", &n) {
				cond.TimeoutSeconds = int(n)
			}
			c.NullableStr("forward_number", &cond.ForwardNumber)
		}
	}
	if s, ok := o.Object("audio_setting"); ok {
		a := &p.AudioSetting
		s.NullableInt("inbound_call_preroll_id", &a.InboundCallPrerollID)
		s.NullableInt("outbound_call_preroll_id", &a.OutboundCallPrerollID)
		s.NullableInt("no_answer_file_id", &a.NoAnswerFileID)
		if s.Int("wait_preroll_dial", &n) {
			a.WaitPrerollDial = int(n)
		}
	}
	return pw
}

// phoneProblems checks p as a whole once a body has been applied; region
// helps suggest the E.164 form of a national number.
func phoneProblems(p *sipsim.Phone, pw phoneWrite, region string) []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }

	switch {
	case p.Name == "":
		add("name must not be empty")
	case utf8.RuneCountInString(p.Name) > maxNameLength:
		add("name must be at most %d characters", maxNameLength)
	}
	if !p.Status.Valid() {
		add("status must be one of not_activated, active, inactive")
	}
	if p.InternalNumber < minInternalNumber || p.InternalNumber > maxInternalNumber {
		add("internal_number must be between %d and %d", minInternalNumber, maxInternalNumber)
	}
	if e164.Valid(p.Number) {
		region = e164.Region(p.Number)
	} else {
		ps = append(ps, invalidNumber("number", p.Number, region))
	}
	if pw.password != nil {
		switch n := utf8.RuneCountInString(*pw.password); {
		case n < minPasswordLength:
			add("sip_password must be at least %d characters", minPasswordLength)
		case n > maxPasswordLength:
			add("sip_password must be at most %d characters", maxPasswordLength)
		}
	}
	if p.Group != nil {
		if p.Group.GroupID <= 0 {
			add("group.group_id must be a positive integer")
		}
		if strings.TrimSpace(p.Group.GroupTitle) == "" {
			add("group.group_title must not be empty")
		}
	}

	optionalNumber := func(field string, s *string) {
		if s != nil && !e164.Valid(*s) {
			ps = append(ps, invalidNumber(field, *s, region))
		}
	}
	optionalID := func(field string, id *int64) {
		if id != nil && *id <= 0 {
			add("%s must be a positive integer or null", field)
		}
	}
	optionalNumber("outbound_setting.outbound_number", p.OutboundSetting.OutboundNumber)
	optionalID("outbound_setting.outbound_number_phone_id", p.OutboundSetting.OutboundNumberPhoneID)
	// The caller ID comes from one place: outbound_number, or another
	// phone's number with use_different_outbound_number, not both.
	switch out := p.OutboundSetting; {
	case out.UseDifferentOutboundNumber && out.OutboundNumberPhoneID == nil:
		add("outbound_setting.outbound_number_phone_id is required when use_different_outbound_number is true")
	case out.UseDifferentOutboundNumber && out.OutboundNumber != nil:
		add("outbound_setting.outbound_number must be null when use_different_outbound_number is true: the caller ID is then phone outbound_number_phone_id's number")
	case !out.UseDifferentOutboundNumber && out.OutboundNumberPhoneID != nil:
		add("outbound_setting.outbound_number_phone_id must be null unless use_different_outbound_number is true")
	}
	optionalID("voicemail_setting.voicemail_file_id", p.VoicemailSetting.VoicemailFileID)

	fwd := p.ForwardingSetting
	optionalNumber("forwarding_setting.forced.forward_number", fwd.Forced.ForwardNumber)
	if fwd.Forced.Enabled && fwd.Forced.ForwardNumber == nil {
		add("forwarding_setting.forced.forward_number is required when forced forwarding is enabled")
	}
	optionalNumber("forwarding_setting.conditional.forward_number", fwd.Conditional.ForwardNumber)
	if fwd.Conditional.Enabled && fwd.Conditional.ForwardNumber == nil {
		add("forwarding_setting.conditional.forward_number is required when conditional forwarding is enabled")
	}
	if fwd.Conditional.Enabled && (fwd.Conditional.TimeoutSeconds < minForwardTimeout || fwd.Conditional.TimeoutSeconds > maxForwardTimeout) {
		add("forwarding_setting.conditional.timeout_seconds must be between %d and %d", minForwardTimeout, maxForwardTimeout)
	}

	optionalID("audio_setting.inbound_call_preroll_id", p.AudioSetting.InboundCallPrerollID)
	optionalID("audio_setting.outbound_call_preroll_id", p.AudioSetting.OutboundCallPrerollID)
	optionalID("audio_setting.no_answer_file_id", p.AudioSetting.NoAnswerFileID)
	if p.AudioSetting.WaitPrerollDial < 0 {
		add("audio_setting.wait_preroll_dial must not be negative")
	}
	return ps
}

// invalidNumber says that field is not E.164 and, when the number can be
// read in region, what its E.164 spelling is.
func invalidNumber(field, s, region string) string {
	if suggestion := e164.Suggest(s, region); suggestion != "" {
		return fmt.Sprintf("%s is invalid: use E.164 format, e.g. %s", field, suggestion)
	}
	return fmt.Sprintf("%s is invalid: use E.164 format (+, country code, number, no spaces), e.g. +33612345678", field)
}

// setPassword stores a SIP password the only way it is kept: as the digest
// HA1 values for the phone's user name (its extension) and the realm.
func setPassword(p *sipsim.Phone, password, realm string) {
	p.SIPRealm = realm
	p.SIPHA1MD5, p.SIPHA1SHA256 = sipsim.DigestHA1(strconv.Itoa(p.InternalNumber), realm, password)
}
