package wire

import (
	"math"
	"time"

	"github.com/sipsim/sipsim"
)

// Call is a call as it stands, with both legs and its timeline.
type Call struct {
	ID                  string            `json:"id"`
	PhoneID             int64             `json:"phone_id"`
	TargetNumber        string            `json:"target_number"`
	CallerID            string            `json:"caller_id"`
	Direction           string            `json:"direction"`
	Source              string            `json:"source"`
	Status              sipsim.CallStatus `json:"status"`
	EndedReason         *sipsim.EndReason `json:"ended_reason"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	AnsweredAt          *string           `json:"answered_at"`
	EndedAt             *string           `json:"ended_at"`
	RingDurationSeconds float64           `json:"ring_duration_seconds"`
	TalkDurationSeconds float64           `json:"talk_duration_seconds"`
	AgentLeg            Leg               `json:"agent_leg"`
	TargetLeg           Leg               `json:"target_leg"`
	Events              []CallEvent       `json:"events"`
	// EventsURL streams this call's progress (Server-Sent Events), so a
	// click-to-call button can show feedback at once.
	EventsURL string `json:"events_url"`
	Tags      []Tag  `json:"tags"`
	// Recording is null when the call has no stored recording.
	Recording *Recording `json:"recording"`
}

// Recording describes a call's stored recording: a stereo WAV, employee
// left and customer right.
type Recording struct {
	URL             string  `json:"url"`
	DurationSeconds float64 `json:"duration_seconds"`
	SizeBytes       int64   `json:"size_bytes"`
}

// recordingSize is the size of a recording of secs seconds: a 44-octet
// WAV header, then 8000 stereo 16-bit samples (32000 octets) a second.
func recordingSize(secs float64) int64 {
	return 44 + int64(math.Round(secs*8000))*4
}

// Leg is one SIP leg: the employee's phone (agent) or the customer
// through the trunk (target).
type Leg struct {
	Status  sipsim.LegStatus `json:"status"`
	SIPCode *int             `json:"sip_code"`
	Contact *string          `json:"contact"`
	// ForwardedTo is the number the leg was forwarded to (the phone's
	// forced or conditional forwarding), null if it was not; AnsweredBy
	// is "phone" or "forward_number", null until answered.
	ForwardedTo *string `json:"forwarded_to"`
	AnsweredBy  *string `json:"answered_by"`
	StartedAt   *string `json:"started_at"`
	RingingAt   *string `json:"ringing_at"`
	AnsweredAt  *string `json:"answered_at"`
	EndedAt     *string `json:"ended_at"`
}

type CallEvent struct {
	ID     int64             `json:"id"`
	Type   string            `json:"type"`
	Status sipsim.CallStatus `json:"status"`
	At     string            `json:"at"`
}

// timeLayout is how the API shows times: UTC with milliseconds, as ring
// and answer times a second apart would otherwise look equal.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Time formats a timestamp in timeLayout. A page of calls has about ten
// per call, and time.Format, which interprets the layout on every call,
// was 7% of the API's CPU listing calls: this writes the fixed positions
// directly. Years outside 0-9999 go to time.Format.
func Time(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(timeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(timeLayout)]byte
	put := func(at, n, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/1e6, 3)
	b[23] = 'Z'
	return string(b[:])
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

// optionalString is nil for "", so that JSON says null.
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// seconds rounds a duration in seconds to milliseconds.
func seconds(s float64) float64 {
	return math.Round(s*1000) / 1000
}

func NewLeg(l sipsim.Leg) Leg {
	v := Leg{
		Status:     l.Status,
		StartedAt:  optionalTime(l.StartedAt),
		RingingAt:  optionalTime(l.RingingAt),
		AnsweredAt: optionalTime(l.AnsweredAt),
		EndedAt:    optionalTime(l.EndedAt),
	}
	if v.Status == "" {
		v.Status = sipsim.LegIdle
	}
	if l.SIPCode != 0 {
		code := l.SIPCode
		v.SIPCode = &code
	}
	v.Contact = optionalString(l.Contact)
	v.ForwardedTo = optionalString(l.ForwardedTo)
	v.AnsweredBy = optionalString(l.AnsweredBy)
	return v
}

func NewCall(c *sipsim.Call, events []*sipsim.CallEvent) Call {
	v := Call{
		ID:                  c.ID,
		PhoneID:             c.PhoneID,
		TargetNumber:        c.TargetNumber,
		CallerID:            c.CallerID,
		Direction:           c.Direction,
		Source:              c.Source,
		Status:              c.Status,
		CreatedAt:           Time(c.CreatedAt),
		UpdatedAt:           Time(c.UpdatedAt),
		AnsweredAt:          optionalTime(c.AnsweredAt),
		EndedAt:             optionalTime(c.EndedAt),
		RingDurationSeconds: seconds(c.RingSeconds()),
		TalkDurationSeconds: seconds(c.TalkSeconds()),
		AgentLeg:            NewLeg(c.AgentLeg),
		TargetLeg:           NewLeg(c.TargetLeg),
		Events:              make([]CallEvent, 0, len(events)),
		EventsURL:           "/api/v2/calls/" + c.ID + "/events",
		Tags:                make([]Tag, 0, len(c.Tags)),
	}
	for i := range c.Tags {
		v.Tags = append(v.Tags, NewTag(&c.Tags[i]))
	}
	if c.EndedReason != "" {
		reason := c.EndedReason
		v.EndedReason = &reason
	}
	if c.HasRecording {
		v.Recording = &Recording{
			URL:             "/api/v2/calls/" + c.ID + "/recording",
			DurationSeconds: seconds(c.RecordingDuration),
			SizeBytes:       recordingSize(c.RecordingDuration),
		}
	}
	for _, e := range events {
		v.Events = append(v.Events, CallEvent{ID: e.ID, Type: e.Type, Status: e.Status, At: Time(e.At)})
	}
	return v
}
