package wire

import (
	"time"

	"github.com/sipsim/sipsim"
)

// Webhook is an endpoint that receives signed events. Secret is present
// only in the response that created it.
type Webhook struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"created_at"`
	Secret      string   `json:"secret,omitempty"`
}

// NewWebhook renders w without its secret.
func NewWebhook(w *sipsim.Webhook) Webhook {
	types := w.EventTypes
	if types == nil {
		types = []string{}
	}
	return Webhook{ID: w.ID, URL: w.URL, EventTypes: types, Description: w.Description, CreatedAt: PhoneTime(w.CreatedAt)}
}

// Delivery is one event sent (or to be sent) to a webhook, with its log.
type Delivery struct {
	ID            int64             `json:"id"`
	EventID       int64             `json:"event_id"`
	EventType     string            `json:"event_type"`
	Status        string            `json:"status"`
	Attempts      int               `json:"attempts"`
	NextAttemptAt *string           `json:"next_attempt_at"`
	CreatedAt     string            `json:"created_at"`
	UpdatedAt     string            `json:"updated_at"`
	AttemptLog    []DeliveryAttempt `json:"attempt_log"`
}

// DeliveryAttempt is one POST and what came back.
type DeliveryAttempt struct {
	Attempt      int     `json:"attempt"`
	At           string  `json:"at"`
	StatusCode   *int    `json:"status_code"`
	Error        *string `json:"error"`
	ResponseBody string  `json:"response_body"`
	DurationMS   int64   `json:"duration_ms"`
}

// NewDelivery renders d and its attempt log.
func NewDelivery(d *sipsim.Delivery) Delivery {
	v := Delivery{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: string(d.Status), Attempts: d.Attempts,
		CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt), AttemptLog: make([]DeliveryAttempt, 0, len(d.AttemptLog))}
	if d.Status == sipsim.DeliveryPending {
		v.NextAttemptAt = optionalTime(&d.NextAttemptAt)
	}
	for _, a := range d.AttemptLog {
		at := DeliveryAttempt{Attempt: a.Attempt, At: Time(a.At), ResponseBody: a.ResponseBody, DurationMS: a.Duration.Milliseconds()}
		if a.StatusCode != 0 {
			code := a.StatusCode
			at.StatusCode = &code
		}
		if a.Error != "" {
			msg := a.Error
			at.Error = &msg
		}
		v.AttemptLog = append(v.AttemptLog, at)
	}
	return v
}

// ParseTime reads a time written by Time or PhoneTime.
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}
