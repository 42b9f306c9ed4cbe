package wire

import "github.com/sipsim/sipsim"

// Tag labels calls.
type Tag struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Color     string `json:"color"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// NewTag renders t.
func NewTag(t *sipsim.Tag) Tag {
	return Tag{ID: t.ID, Name: t.Name, Color: t.Color, CreatedAt: PhoneTime(t.CreatedAt), UpdatedAt: PhoneTime(t.UpdatedAt)}
}
