package sipsim

import (
	"context"
	"time"
)

// Tag labels calls, e.g. "lead" or "follow-up". Names are unique per
// account.
type Tag struct {
	ID        int64
	AccountID int64
	Name      string
	Color     string // "#rrggbb"
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TagStore persists tags and which calls carry them.
type TagStore interface {
	// CreateTag stores t and sets its ID and times. ECONFLICT for a name
	// already used in the account.
	CreateTag(ctx context.Context, t *Tag) error
	// Tag returns one tag. ENOTFOUND.
	Tag(ctx context.Context, accountID, id int64) (*Tag, error)
	// Tags lists the account's tags by name.
	Tags(ctx context.Context, accountID int64) ([]*Tag, error)
	// UpdateTag saves name and color. ENOTFOUND, ECONFLICT.
	UpdateTag(ctx context.Context, t *Tag) error
	// DeleteTag removes the tag from the account and from its calls.
	// ENOTFOUND.
	DeleteTag(ctx context.Context, accountID, id int64) error
	// TagCall puts a tag on a call; doing it twice changes nothing.
	// ENOTFOUND for an unknown call or tag.
	TagCall(ctx context.Context, accountID int64, callID string, tagID int64) error
	// UntagCall takes a tag off a call; no error if it was not on it.
	// ENOTFOUND for an unknown call or tag.
	UntagCall(ctx context.Context, accountID int64, callID string, tagID int64) error
}
