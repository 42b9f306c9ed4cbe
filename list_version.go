package sipsim

import "context"

// List names a list the API serves that is worth keeping rendered: one an
// integration polls (who is online, the calls of the day).
type List string

const (
	// ListPhones is the account's phones with their registration status.
	ListPhones List = "phones"
	// ListCalls is the account's calls with their tags and recordings.
	ListCalls List = "calls"
)

// ListVersionStore tells whether a list of an account may have changed.
// The store keeps one number per account and list and raises it in the
// same transaction as every write that can change what the list shows
// (triggers, so that no writer, the command line or another node
// included, can forget). A reader that rendered a list at version v may
// serve that rendering again while the version is still v: nothing it
// shows has changed since, time aside (a binding expiring changes no row;
// see LiveBindings.NextExpiry).
type ListVersionStore interface {
	// TokenAndListVersion is TokenByHash, and the current version of
	// list in the token's account, read together: a poll of a list costs
	// one read of the store, where reading them apart cost two (on
	// PostgreSQL, two round trips). The version is 0 before the list's
	// first change; versions only grow.
	TokenAndListVersion(ctx context.Context, hash string, list List) (*Token, int64, error)
}
