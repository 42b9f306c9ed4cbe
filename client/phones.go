package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

const phonesPath = "/api/v2/phones"

// ListPhonesParams filters ListPhones.
type ListPhonesParams struct {
	Status PhoneStatus // "" for every phone; "active" for those that can call
}

// ListPhones lists the account's phones (scope phones.read).
func (c *Client) ListPhones(ctx context.Context, p ListPhonesParams) ([]*Phone, error) {
	q := url.Values{}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	var out []*Phone
	_, err := c.do(ctx, request{method: http.MethodGet, path: phonesPath, query: q}, &out)
	return out, err
}

// GetPhone returns one phone, with its registration state (phones.read).
func (c *Client) GetPhone(ctx context.Context, id int64) (*Phone, error) {
	var out Phone
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath(phonesPath, id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PhoneParams is the body of CreatePhone and UpdatePhone. Nil fields are
// not sent: CreatePhone gives them their defaults, UpdatePhone keeps their
// stored value. A setting object is sent whole. Go 1.26's new(value)
// fills the pointers: PhoneParams{Name: new("Alice")}.
type PhoneParams struct {
	Name           *string      `json:"name,omitempty"`
	Status         *PhoneStatus `json:"status,omitempty"`
	InternalNumber *int         `json:"internal_number,omitempty"` // 100–999, the SIP user name
	Number         *string      `json:"number,omitempty"`          // E.164
	// SIPPassword is write-only: the server keeps only digest hashes.
	// Required to activate a phone and when InternalNumber changes.
	SIPPassword *string `json:"sip_password,omitempty"`
	// Group assigns a group; ClearGroup (on update) removes it.
	Group             *PhoneGroup        `json:"group,omitempty"`
	ClearGroup        bool               `json:"-"`
	OutboundSetting   *OutboundSetting   `json:"outbound_setting,omitempty"`
	RecordSetting     *RecordSetting     `json:"record_setting,omitempty"`
	VoicemailSetting  *VoicemailSetting  `json:"voicemail_setting,omitempty"`
	ForwardingSetting *ForwardingSetting `json:"forwarding_setting,omitempty"`
	AudioSetting      *AudioSetting      `json:"audio_setting,omitempty"`
}

// MarshalJSON writes the body, with "group": null when ClearGroup is set.
func (p PhoneParams) MarshalJSON() ([]byte, error) {
	type plain PhoneParams // without this method
	b, err := json.Marshal(plain(p))
	if err != nil || !p.ClearGroup || p.Group != nil {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["group"] = json.RawMessage("null")
	return json.Marshal(m)
}

// CreatePhone adds a phone (phones.write). Name, InternalNumber and Number
// are required; with a SIPPassword the phone is active at once.
func (c *Client) CreatePhone(ctx context.Context, p PhoneParams) (*Phone, error) {
	var out Phone
	if _, err := c.do(ctx, request{method: http.MethodPost, path: phonesPath, body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdatePhone changes the given fields of a phone (phones.write). New SIP
// credentials or leaving active drop the phone's registrations.
func (c *Client) UpdatePhone(ctx context.Context, id int64, p PhoneParams) (*Phone, error) {
	var out Phone
	if _, err := c.do(ctx, request{method: http.MethodPatch, path: idPath(phonesPath, id), body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePhone removes a phone and its registrations (phones.write).
func (c *Client) DeletePhone(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: idPath(phonesPath, id)}, nil)
	return err
}
