package client

import (
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// The API's objects are the server's own JSON shapes (package wire), so
// the SDK decodes exactly what the server encodes.
type (
	Phone             = wire.Phone
	PhoneGroup        = wire.PhoneGroup
	OutboundSetting   = wire.OutboundSetting
	RecordSetting     = wire.RecordSetting
	VoicemailSetting  = wire.VoicemailSetting
	ForwardingSetting = wire.ForwardingSetting
	AudioSetting      = wire.AudioSetting
	Call              = wire.Call
	Leg               = wire.Leg
	CallEvent         = wire.CallEvent
	Event             = wire.Event
	Tag               = wire.Tag
	Webhook           = wire.Webhook
	Delivery          = wire.Delivery
	DeliveryAttempt   = wire.DeliveryAttempt

	PhoneStatus = sipsim.PhoneStatus
	CallStatus  = sipsim.CallStatus
	EndReason   = sipsim.EndReason
)
