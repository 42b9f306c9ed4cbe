package httpapi

import (
	"context"
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
)

// phoneJSON is the Phone object of the API document, field for field, plus
// read-only extras (sip_username, sip_domain, registration) a softphone
// set-up needs. The SIP password is write-only and has no field here.
type phoneJSON struct {
	ID                int64                 `json:"id"`
	Name              string                `json:"name"`
	Status            sipsim.PhoneStatus    `json:"status"`
	InternalNumber    int                   `json:"internal_number"`
	Number            string                `json:"number"`
	CreatedAt         string                `json:"created_at"`
	UpdatedAt         string                `json:"updated_at"`
	Group             *phoneGroupJSON       `json:"group"`
	OutboundSetting   outboundSettingJSON   `json:"outbound_setting"`
	RecordSetting     recordSettingJSON     `json:"record_setting"`
	VoicemailSetting  voicemailSettingJSON  `json:"voicemail_setting"`
	ForwardingSetting forwardingSettingJSON `json:"forwarding_setting"`
	AudioSetting      audioSettingJSON      `json:"audio_setting"`
	SIPUsername       string                `json:"sip_username"`
	SIPDomain         string                `json:"sip_domain"`
	Registration      registrationJSON      `json:"registration"`
}

type phoneGroupJSON struct {
	GroupID    int64  `json:"group_id"`
	GroupTitle string `json:"group_title"`
}

type outboundSettingJSON struct {
	OutboundNumber             *string `json:"outbound_number"`
	UseDifferentOutboundNumber bool    `json:"use_different_outbound_number"`
	OutboundNumberPhoneID      *int64  `json:"outbound_number_phone_id"`
}

type recordSettingJSON struct {
	RecordInboundCall  bool `json:"record_inbound_call"`
	RecordOutboundCall bool `json:"record_outbound_call"`
}

type voicemailSettingJSON struct {
	AllowVoicemail  bool   `json:"allow_voicemail"`
	VoicemailFileID *int64 `json:"voicemail_file_id"`
}

type forwardingSettingJSON struct {
	Forced      forcedForwardingJSON      `json:"forced"`
	Conditional conditionalForwardingJSON `json:"conditional"`
}

type forcedForwardingJSON struct {
	Enabled       bool    `json:"enabled"`
	ForwardNumber *string `json:"forward_number"`
}

type conditionalForwardingJSON struct {
	Enabled        bool    `json:"enabled"`
	TimeoutSeconds int     `json:"timeout_seconds"`
	ForwardNumber  *string `json:"forward_number"`
}

type audioSettingJSON struct {
	InboundCallPrerollID  *int64 `json:"inbound_call_preroll_id"`
	OutboundCallPrerollID *int64 `json:"outbound_call_preroll_id"`
	NoAnswerFileID        *int64 `json:"no_answer_file_id"`
	WaitPrerollDial       int    `json:"wait_preroll_dial"`
}

// registrationJSON says whether the phone can be rung right now.
type registrationJSON struct {
	Status   string `json:"status"` // "registered" or "unregistered"
	Contacts int    `json:"contacts"`
}

// phoneTime formats a phone timestamp like the document: UTC, seconds.
func phoneTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// newPhoneJSON renders p with the number of its live contact bindings.
func newPhoneJSON(p *sipsim.Phone, realm string, contacts int) phoneJSON {
	v := phoneJSON{
		ID:             p.ID,
		Name:           p.Name,
		Status:         p.Status,
		InternalNumber: p.InternalNumber,
		Number:         p.Number,
		CreatedAt:      phoneTime(p.CreatedAt),
		UpdatedAt:      phoneTime(p.UpdatedAt),
		OutboundSetting: outboundSettingJSON{
			OutboundNumber:             p.OutboundSetting.OutboundNumber,
			UseDifferentOutboundNumber: p.OutboundSetting.UseDifferentOutboundNumber,
			OutboundNumberPhoneID:      p.OutboundSetting.OutboundNumberPhoneID,
		},
		RecordSetting: recordSettingJSON{
			RecordInboundCall:  p.RecordSetting.RecordInboundCall,
			RecordOutboundCall: p.RecordSetting.RecordOutboundCall,
		},
		VoicemailSetting: voicemailSettingJSON{
			AllowVoicemail:  p.VoicemailSetting.AllowVoicemail,
			VoicemailFileID: p.VoicemailSetting.VoicemailFileID,
		},
		ForwardingSetting: forwardingSettingJSON{
			Forced: forcedForwardingJSON{
				Enabled:       p.ForwardingSetting.Forced.Enabled,
				ForwardNumber: p.ForwardingSetting.Forced.ForwardNumber,
			},
			Conditional: conditionalForwardingJSON{
				Enabled:        p.ForwardingSetting.Conditional.Enabled,
				TimeoutSeconds: p.ForwardingSetting.Conditional.TimeoutSeconds,
				ForwardNumber:  p.ForwardingSetting.Conditional.ForwardNumber,
			},
		},
		AudioSetting: audioSettingJSON{
			InboundCallPrerollID:  p.AudioSetting.InboundCallPrerollID,
			OutboundCallPrerollID: p.AudioSetting.OutboundCallPrerollID,
			NoAnswerFileID:        p.AudioSetting.NoAnswerFileID,
			WaitPrerollDial:       p.AudioSetting.WaitPrerollDial,
		},
		// The SIP user name is the extension: what a desk phone is
		// configured with and what the registrar looks up.
		SIPUsername:  strconv.Itoa(p.InternalNumber),
		SIPDomain:    realm,
		Registration: registrationJSON{Status: "unregistered", Contacts: contacts},
	}
	if contacts > 0 {
		v.Registration.Status = "registered"
	}
	if p.Group != nil {
		v.Group = &phoneGroupJSON{GroupID: p.Group.GroupID, GroupTitle: p.Group.GroupTitle}
	}
	return v
}

// renderPhone looks up p's live bindings and renders it.
func renderPhone(ctx context.Context, cfg Config, p *sipsim.Phone) (phoneJSON, error) {
	regs, err := cfg.Registrations.Registrations(ctx, p.ID, cfg.Now())
	if err != nil {
		return phoneJSON{}, err
	}
	return newPhoneJSON(p, cfg.Realm, len(regs)), nil
}
