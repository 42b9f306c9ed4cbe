package wire

import (
	"strconv"
	"time"

	"github.com/sipsim/sipsim"
)

// Phone is the Phone object of the API document, field for field, plus
// read-only extras (sip_username, sip_domain, registration) a softphone
// set-up needs. The SIP password is write-only and has no field here.
type Phone struct {
	ID                int64              `json:"id"`
	Name              string             `json:"name"`
	Status            sipsim.PhoneStatus `json:"status"`
	InternalNumber    int                `json:"internal_number"`
	Number            string             `json:"number"`
	CreatedAt         string             `json:"created_at"`
	UpdatedAt         string             `json:"updated_at"`
	Group             *PhoneGroup        `json:"group"`
	OutboundSetting   OutboundSetting    `json:"outbound_setting"`
	RecordSetting     RecordSetting      `json:"record_setting"`
	VoicemailSetting  VoicemailSetting   `json:"voicemail_setting"`
	ForwardingSetting ForwardingSetting  `json:"forwarding_setting"`
	AudioSetting      AudioSetting       `json:"audio_setting"`
	SIPUsername       string             `json:"sip_username"`
	SIPDomain         string             `json:"sip_domain"`
	Registration      Registration       `json:"registration"`
}

type PhoneGroup struct {
	GroupID    int64  `json:"group_id"`
	GroupTitle string `json:"group_title"`
}

type OutboundSetting struct {
	OutboundNumber             *string `json:"outbound_number"`
	UseDifferentOutboundNumber bool    `json:"use_different_outbound_number"`
	OutboundNumberPhoneID      *int64  `json:"outbound_number_phone_id"`
}

type RecordSetting struct {
	RecordInboundCall  bool `json:"record_inbound_call"`
	RecordOutboundCall bool `json:"record_outbound_call"`
}

type VoicemailSetting struct {
	AllowVoicemail  bool   `json:"allow_voicemail"`
	VoicemailFileID *int64 `json:"voicemail_file_id"`
}

type ForwardingSetting struct {
	Forced      ForcedForwarding      `json:"forced"`
	Conditional ConditionalForwarding `json:"conditional"`
}

type ForcedForwarding struct {
	Enabled       bool    `json:"enabled"`
	ForwardNumber *string `json:"forward_number"`
}

type ConditionalForwarding struct {
	Enabled        bool    `json:"enabled"`
	TimeoutSeconds int     `json:"timeout_seconds"`
	ForwardNumber  *string `json:"forward_number"`
}

type AudioSetting struct {
	InboundCallPrerollID  *int64 `json:"inbound_call_preroll_id"`
	OutboundCallPrerollID *int64 `json:"outbound_call_preroll_id"`
	NoAnswerFileID        *int64 `json:"no_answer_file_id"`
	WaitPrerollDial       int    `json:"wait_preroll_dial"`
}

// Registration says whether the phone can be rung right now.
type Registration struct {
	Status   string `json:"status"` // "registered" or "unregistered"
	Contacts int    `json:"contacts"`
}

// PhoneTime formats a phone timestamp like the document: UTC, seconds.
func PhoneTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// NewPhone renders p with the number of its live contact bindings.
func NewPhone(p *sipsim.Phone, realm string, contacts int) Phone {
	v := Phone{
		ID:             p.ID,
		Name:           p.Name,
		Status:         p.Status,
		InternalNumber: p.InternalNumber,
		Number:         p.Number,
		CreatedAt:      PhoneTime(p.CreatedAt),
		UpdatedAt:      PhoneTime(p.UpdatedAt),
		OutboundSetting: OutboundSetting{
			OutboundNumber:             p.OutboundSetting.OutboundNumber,
			UseDifferentOutboundNumber: p.OutboundSetting.UseDifferentOutboundNumber,
			OutboundNumberPhoneID:      p.OutboundSetting.OutboundNumberPhoneID,
		},
		RecordSetting: RecordSetting{
			RecordInboundCall:  p.RecordSetting.RecordInboundCall,
			RecordOutboundCall: p.RecordSetting.RecordOutboundCall,
		},
		VoicemailSetting: VoicemailSetting{
			AllowVoicemail:  p.VoicemailSetting.AllowVoicemail,
			VoicemailFileID: p.VoicemailSetting.VoicemailFileID,
		},
		ForwardingSetting: ForwardingSetting{
			Forced: ForcedForwarding{
				Enabled:       p.ForwardingSetting.Forced.Enabled,
				ForwardNumber: p.ForwardingSetting.Forced.ForwardNumber,
			},
			Conditional: ConditionalForwarding{
				Enabled:        p.ForwardingSetting.Conditional.Enabled,
				TimeoutSeconds: p.ForwardingSetting.Conditional.TimeoutSeconds,
				ForwardNumber:  p.ForwardingSetting.Conditional.ForwardNumber,
			},
		},
		AudioSetting: AudioSetting{
			InboundCallPrerollID:  p.AudioSetting.InboundCallPrerollID,
			OutboundCallPrerollID: p.AudioSetting.OutboundCallPrerollID,
			NoAnswerFileID:        p.AudioSetting.NoAnswerFileID,
			WaitPrerollDial:       p.AudioSetting.WaitPrerollDial,
		},
		// The SIP user name is the extension: what a desk phone is
		// configured with and what the registrar looks up.
		SIPUsername:  strconv.Itoa(p.InternalNumber),
		SIPDomain:    realm,
		Registration: Registration{Status: "unregistered", Contacts: contacts},
	}
	if contacts > 0 {
		v.Registration.Status = "registered"
	}
	if p.Group != nil {
		v.Group = &PhoneGroup{GroupID: p.Group.GroupID, GroupTitle: p.Group.GroupTitle}
	}
	return v
}
