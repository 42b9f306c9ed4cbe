package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/sipsim/sipsim"
)

// A cursor is the position of the last call of a page in the newest-first
// order: base64url of {"t": created_at, "id": call id}. Clients treat it as
// opaque; keyset pagination keeps pages stable while new calls arrive.
type cursorJSON struct {
	T  string `json:"t"`
	ID string `json:"id"`
}

// maxCursorLength bounds what decodeCursor reads: a real cursor is under
// 100 characters.
const maxCursorLength = 512

var errBadCursor = errors.New("cursor is invalid")

// encodeCursor returns the cursor of the page that follows c.
func encodeCursor(c *sipsim.Call) string {
	b, _ := json.Marshal(cursorJSON{T: c.CreatedAt.UTC().Format(time.RFC3339Nano), ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(s string) (*sipsim.CallCursor, error) {
	if len(s) > maxCursorLength {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return nil, errBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, c.T)
	if err != nil {
		return nil, errBadCursor
	}
	return &sipsim.CallCursor{CreatedAt: t, ID: c.ID}, nil
}
