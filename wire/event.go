package wire

import "github.com/sipsim/sipsim"

// Event is one step of a call as streams (SSE) and webhooks carry it: the
// same JSON in both, so one parser serves a receiver of either.
type Event struct {
	ID        int64     `json:"id"` // grows with every event; resume after it with Last-Event-ID
	Type      string    `json:"type"`
	CreatedAt string    `json:"created_at"`
	Data      EventData `json:"data"`
}

// EventData holds the call as it stood when the event happened.
type EventData struct {
	Call Call `json:"call"`
}

// NewEvent renders ev. Its call snapshot is rendered without a timeline.
func NewEvent(ev *sipsim.CallEvent) Event {
	v := Event{ID: ev.ID, Type: ev.Type, CreatedAt: Time(ev.At)}
	if ev.Call != nil {
		v.Data.Call = NewCall(ev.Call, nil)
	}
	return v
}
