package sipsim

import (
	"context"
	"time"
)

// CallFilter selects calls of one account, newest first. Zero fields do not
// filter.
type CallFilter struct {
	AccountID     int64
	Statuses      []CallStatus // any of
	PhoneID       int64
	TargetNumber  string
	Tag           string // tag name
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	EndedReasons  []EndReason // any of
	Source        string      // SourceAPI or SourceHandset
	Direction     string      // DirectionOutbound or DirectionInternal
	// After continues a listing after this call (keyset pagination on
	// created_at, id): pages stay stable while new calls arrive.
	After *CallCursor
	Limit int // at most this many; the store caps it at 1000
}

// CallCursor is the position of a call in the newest-first order.
type CallCursor struct {
	CreatedAt time.Time
	ID        string
}

// CallLister is the part of a call store that searches history.
type CallLister interface {
	// Calls lists calls matching f, ordered by created_at then id, both
	// descending.
	Calls(ctx context.Context, f CallFilter) ([]*Call, error)
	// ActiveCall returns the phone's call that is not over. ENOTFOUND.
	ActiveCall(ctx context.Context, accountID, phoneID int64) (*Call, error)
	// RecentCall returns the newest call from the phone to target created
	// at or after since, whatever its status. ENOTFOUND.
	RecentCall(ctx context.Context, accountID, phoneID int64, target string, since time.Time) (*Call, error)
}

// EventFilter selects stored events, oldest first.
type EventFilter struct {
	AccountID int64
	CallID    string // "" for every call of the account
	AfterID   int64  // only events with a greater id
	Limit     int
}

// EventStore reads the durable event log that streams resume from.
type EventStore interface {
	// Events returns events matching f in id order, each with its call
	// snapshot.
	Events(ctx context.Context, f EventFilter) ([]*CallEvent, error)
	// LatestEventID returns the id of the account's newest event, 0 if it
	// has none: where a stream that wants only new events starts.
	LatestEventID(ctx context.Context, accountID int64) (int64, error)
}

// EventBus carries events, once stored, to live subscribers of this
// process (SSE streams, the webhook dispatcher's wake-up).
type EventBus interface {
	// Publish hands ev to every subscriber of its account without blocking;
	// a subscriber too slow to keep up is dropped (its channel is closed)
	// and resumes from the store.
	Publish(ev *CallEvent)
	// Subscribe returns a channel of the account's events (accountID 0:
	// all accounts) and a function that ends the subscription.
	Subscribe(accountID int64) (<-chan *CallEvent, func())
}
